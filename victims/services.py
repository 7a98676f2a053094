"""The Target aggregate and its orchestration: every write of a target's life.

Intake (from the counter, answered with a receipt whether or not the person is a target
already — ADR 0015 — and from the 住民記録 push), approval and rejection (four eyes),
withdrawal (four eyes for a registration, ADR 0016), release requests, procedure
confirmations, grants, notices, review tasks and 追記 requests. Each service finds the
target through victims.selectors (policy-scoped, one uniform lookup), row-locks it first,
then calls the lower apps: flags for the ChangeRequest state machine and the case →
measures rules, intermediary for the desired flag state and the outbox. Lock order
everywhere: Target, then ChangeRequest, then FlagState rows.

Refusals are audited through `refuse`/`audit_refusal` and survive the rollback that the
refusal itself causes (`audited_atomic`)."""
import dataclasses
import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal, audited_atomic
from core import policy
from core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from core.normalize import normalize_atena_no
from core.policy import Capability
from flags import rules
from flags import services as change_requests
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from intermediary.models import CorrectionStatus, RecordCorrection
from intermediary.services import desired_flags_apply

from . import numbers
from .amendments import (
    MAJORITY_REACHED,
    AmendmentInput,
    amendment_apply,
    majority_reached,
    measures_after,
    parse_amendment,
)
from .intake import IntakeData, parse_intake
from .models import (
    PROTECTING_STATUSES,
    TARGET_PERMS,
    Amendment,
    Basis,
    CaseAssessment,
    CaseType,
    GrantKind,
    GrantRecord,
    HarmType,
    Notice,
    NoticeKind,
    ProtectionPeriod,
    ProvisionalProtection,
    Registration,
    ReviewTask,
    ReviewTaskKind,
    ReviewTaskStatus,
    Target,
    TargetStatus,
)
from .selectors import (
    object_id,
    refuse,
    target_granted_departments,
    target_id_of_case,
    target_lock_for_decision,
    target_lock_for_user,
)
from .transfers import transfer_apply

# Said only to the owning department (policy.registration_reveals_existing, ADR 0015).
_ALREADY_REGISTERED = (
    "この団体内統合宛名番号は既に所属の設定対象者として登録されています。宛名番号で検索して確認してください。"
)


# The one answer to every accepted registration, new person or not (ADR 0015).
REGISTRATION_ACCEPTED = (
    "申出を受け付けました。受付票で申し出た内容を確認できます。"
    "登録内容の確認・承認は所属の手続に沿って行われます。"
)


# Said only to the owning department, which registered its own released, withdrawn or
# rejected person again (ADR 0029).
TARGET_REOPENED = (
    "以前に登録した方のため、同じ対象者の新しい保護の期間として登録しました。"
    "所属長の承認後に設定されます（承認までの間も照会時の確認では保護されます）。"
)


def pending_set_request_of(target: Target) -> ChangeRequest:
    """The pending set request of a target just registered or reopened."""
    change_request = change_requests.change_request_pending_set(target_id=target.pk)
    if change_request is None:  # registration opened one in the same transaction
        raise Conflict("設定申請が見つかりません。")
    return change_request


class AlreadyRegistered(ValidationFailed):
    """The person is a target already (target_register's callers decide what that means)."""

    def __init__(self) -> None:
        super().__init__({"atena_no": _ALREADY_REGISTERED})


def measures_for(target: Target) -> rules.Measures:
    return rules.required_measures(target.cases.filter(active=True), settings.FLAG_POLICY)


# --- intake ------------------------------------------------------------------------------

def _target_create(*, actor: Staff, identity: IntakeData, now: datetime.datetime) -> Target:
    """The target row and its owning department's access. Raises IntegrityError when the
    person was registered concurrently (the caller decides what that means)."""
    department = actor.department
    if department is None:  # policy already refused such an actor; this keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.HANDLE_VICTIMS))
    with transaction.atomic():
        target = Target.objects.create(
            atena_no=identity.atena_no, standard_atena_no=identity.standard_atena_no, name=identity.name,
            name_kana=identity.name_kana, birth_date=identity.birth_date, harm_types=identity.harm_types,
            owning_department=department,
            is_victim=True, is_victim_confirmed_by=actor, is_victim_confirmed_at=now,
            fled=identity.fled, fled_confirmed_by=actor, fled_confirmed_at=now,
            basis=identity.basis, basis_confirmed_by=actor, basis_confirmed_at=now,
            jumin_support_active=identity.jumin_support_active, jumin_support_start=identity.jumin_support_start,
            jumin_support_end=identity.jumin_support_end,
            explained_mynaportal=identity.explanations.get("mynaportal", False),
            explained_jumin=identity.explanations.get("jumin", False),
            explained_card_suspension=identity.explanations.get("card_suspension", False),
            explained_agent_release=identity.explanations.get("agent_release", False),
            notes=identity.notes, created_by=actor,
            request_origin=identity.request_origin, request_body_name=identity.request_body_name,
            request_received_on=identity.request_received_on,
        )
    for perm in TARGET_PERMS:
        assign_perm(perm, department.group, target)
    return target


@audited_atomic
def target_register(*, actor: Staff, data: IntakeData) -> tuple[Target, ChangeRequest]:
    """A new target, its cases and a pending set request, in one transaction. Raises
    AlreadyRegistered for a person who is a target already; a counter's intake goes through
    registration_submit, which decides what the registering department learns of that.

    Protection at inquiry time starts now; nothing reaches the intermediate server
    before a different person approves."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    now = timezone.now()
    numbers.lock_numbers()
    # Either number naming a target already (as its atena_no or its standard number) is the
    # same person, or a typing error: not a new target (ADR 0046).
    if Target.objects.filter(_numbers_of(data)).exists():
        raise AlreadyRegistered()
    try:
        target = _target_create(actor=actor, identity=data, now=now)
    except IntegrityError:  # registered already, or concurrently by a registration that won the race
        raise AlreadyRegistered() from None
    _cases_create(target, data)
    change_request = change_requests.change_request_open(
        target_id=target.pk, department_id=target.owning_department_id, action=ChangeAction.SET,
        requested_by=actor, now=now)
    audit_record(actor=actor, action=AuditAction.TARGET_REGISTER, target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "cases": [c.case_type for c in data.cases]})
    return target, change_request


def _cases_create(target: Target, data: IntakeData, period: ProtectionPeriod | None = None) -> None:
    CaseAssessment.objects.bulk_create([
        CaseAssessment(
            target=target, period=period, case_type=c.case_type, abuser_atena_no=c.abuser_atena_no,
            abuser_name=c.abuser_name, card_left=c.card_left, smartphone_left=c.smartphone_left,
            agent_set=c.agent_set, legal_representative=c.legal_representative, end_condition=c.end_condition,
        )
        for c in data.cases
    ])


# A protection that ended (released) or never started (withdrawn, rejected): the owning
# department registering the person again reopens the same target (ADR 0029).
REOPENABLE_STATUSES = (TargetStatus.RELEASED, TargetStatus.WITHDRAWN, TargetStatus.REJECTED)


def _target_reopen(actor: Staff, target: Target, data: IntakeData, now: datetime.datetime) -> Registration:
    """The same target, a new protection period: the earlier period is closed (created on
    the way for a target protected once), every earlier case stays in its period, inactive;
    the submitted cases are the new period's; the facts confirmed at the counter (ア・イ・ウ,
    harm, 支援措置, explanations) are those of this intake; a pending set request protects at
    the check from now. Identity fields stay as on record: correcting them is an amendment."""
    periods = list(ProtectionPeriod.objects.select_for_update().filter(target=target).order_by("number"))
    if not periods:
        first_receipt = Registration.objects.filter(created_target=target).order_by("created_at", "id").first()
        first = ProtectionPeriod.objects.create(
            target=target, number=1, started_at=target.created_at, opened_by_registration=first_receipt)
        CaseAssessment.objects.filter(target=target, period__isnull=True).update(period=first)
        periods = [first]
    last_decision = (ChangeRequest.objects.filter(target=target, decided_at__isnull=False)
                     .aggregate(at=Max("decided_at"))["at"])
    ProtectionPeriod.objects.filter(pk=periods[-1].pk).update(ended_at=last_decision or now)
    # Cases of a withdrawn or rejected registration were never ended: they end with their period.
    CaseAssessment.objects.filter(target=target, active=True).update(active=False, ended_at=now)
    receipt = Registration.objects.create(department_id=target.owning_department_id, submitted_by=actor,
                                          created_at=now, intake=_intake_json(data), created_target=target)
    period = ProtectionPeriod.objects.create(target=target, number=periods[-1].number + 1, started_at=now,
                                             opened_by_registration=receipt)
    _cases_create(target, data, period)
    target.status = TargetStatus.PENDING
    identity_restore(target, name=data.name, name_kana=data.name_kana, birth_date=data.birth_date)
    target.harm_types, target.fled, target.basis = data.harm_types, data.fled, data.basis
    target.is_victim, target.is_victim_confirmed_by, target.is_victim_confirmed_at = True, actor, now
    target.fled_confirmed_by, target.fled_confirmed_at = actor, now
    target.basis_confirmed_by, target.basis_confirmed_at = actor, now
    target.jumin_support_active = data.jumin_support_active
    target.jumin_support_start, target.jumin_support_end = data.jumin_support_start, data.jumin_support_end
    for key in ("mynaportal", "jumin", "card_suspension", "agent_release"):
        setattr(target, f"explained_{key}", data.explanations.get(key, False))
    # The new period's request has its own origin (ADR 0039); the earlier one stays on its receipt.
    target.request_origin, target.request_body_name = data.request_origin, data.request_body_name
    target.request_received_on = data.request_received_on
    target.save()
    change_request = change_requests.change_request_open(
        target_id=target.pk, department_id=target.owning_department_id, action=ChangeAction.SET,
        requested_by=actor, now=now)
    audit_record(actor=actor, action=AuditAction.TARGET_REOPEN, target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "period": period.number,
                         "registration_id": receipt.pk, "cases": [c.case_type for c in data.cases]})
    audit_record(actor=actor, action=AuditAction.REGISTRATION_SUBMIT, target_id=target.pk,
                 detail={"registration_id": receipt.pk, "outcome": "reopened"})
    return receipt


def _intake_json(data: IntakeData) -> dict[str, object]:
    """What the clerk submitted, as the receipt shows it back (dates as ISO text)."""
    return dataclasses.asdict(data)


@audited_atomic
def registration_submit(*, actor: Staff, payload: object, today: datetime.date) -> Registration:
    """A counter's intake (screen and API), ADR 0015: the answer is a receipt, the same
    whether or not the person is a target already.

    - invalid input: refused before any database work (every limit is in parse_intake);
    - a new person: registered at once (target_register: pending, protected at the check);
    - a target of another department (any status): nothing of it is changed; its owning
      department gets a review task naming the registering department and clerk;
    - a target of the actor's own department: released, withdrawn or rejected, the same
      target is reopened for a new protection period (ADR 0029; receipt.reopened_target);
      pending or active, refused with a clear answer (it knows).
    Every attempt is audited with the target id when there is one, never the number."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    try:
        if not isinstance(payload, dict):
            raise ValidationFailed({"non_field": "JSON オブジェクトで送信してください。"})
        data = parse_intake(payload, today=today)
    except ValidationFailed as exc:
        registration_refusal_record(actor=actor, payload=payload, fields=list(exc.errors))
        raise
    now = timezone.now()
    numbers.lock_numbers()
    existing = _existing_target(data)
    if existing is None:
        try:
            target, _ = target_register(actor=actor, data=data)
        except AlreadyRegistered:  # a concurrent registration of the same person committed first
            existing = _existing_target(data)
            if existing is None:
                raise
        else:
            return _receipt(actor, data, now, created_target=target)
    if policy.registration_reveals_existing(actor, owning_department_id=existing.owning_department_id):
        if existing.atena_no != data.atena_no:
            # Its own target under another integrated number (ADR 0046): a typing error, or two
            # records of one person. The department may know which number is taken: it says so.
            field = "atena_no" if existing.standard_atena_no == data.atena_no else "standard_atena_no"
            audit_refusal(actor=actor, action=AuditAction.REGISTRATION_SUBMIT, target_id=existing.pk,
                          detail={"outcome": "number_taken", "fields": [field]})
            raise ValidationFailed({field: numbers.ATENA_TAKEN if field == "atena_no" else numbers.STANDARD_TAKEN})
        if existing.status in REOPENABLE_STATUSES:
            return _target_reopen(actor, existing, data, now)
        audit_refusal(actor=actor, action=AuditAction.REGISTRATION_SUBMIT, target_id=existing.pk,
                      detail={"outcome": "own_department"})
        raise AlreadyRegistered()
    # The owner is told who else supports the person; the existing record is left as it is,
    # but the numbers this registration names are protected at the check until the owner has
    # reviewed it (ADR 0024).
    task = _review_task(actor, existing, ReviewTaskKind.ALSO_SUPPORTED, now)
    receipt = _receipt(actor, data, now, review_task=task)
    # Every number the person is known by — those the registration gives and those of the
    # target (the registering department may know only one, ADR 0046/0047) — then its ①-I abusers.
    asked = [(number, False) for number in _victim_numbers(data.atena_no, data.standard_atena_no, existing)]
    asked += [(c.abuser_atena_no, True) for c in data.cases if c.case_type == CaseType.C1_I and c.abuser_atena_no]
    ProvisionalProtection.objects.bulk_create([
        ProvisionalProtection(registration=receipt, review_task=task, target=existing, atena_no=number,
                              is_abuser=is_abuser)
        for number, is_abuser in asked
    ])
    return receipt


def _victim_numbers(*numbers: str | None | Target) -> list[str]:
    """The distinct numbers given, a target standing for both of its own: the rows of a
    victim's provisional protection, which the check reads without a join (ADR 0047)."""
    flat: list[str | None] = []
    for n in numbers:
        flat += [n.atena_no, n.standard_atena_no] if isinstance(n, Target) else [n]
    return list(dict.fromkeys(n for n in flat if n))


def _numbers_of(data: IntakeData) -> Q:
    """The targets either number of an intake names, by either of their numbers."""
    q = numbers.number_q(data.atena_no)
    if data.standard_atena_no is not None:
        q |= numbers.number_q(data.standard_atena_no)
    return q


def _existing_target(data: IntakeData) -> Target | None:
    """The target an intake is about, locked: the one whose atena_no is the intake's, else
    one that either number names (ADR 0046) — then the registration is a duplicate of it,
    answered with the same receipt (ADR 0015) and reviewed by its owner."""
    candidates = list(Target.objects.select_for_update().filter(_numbers_of(data)).order_by("pk"))
    return next((t for t in candidates if t.atena_no == data.atena_no), None) or next(iter(candidates), None)


def _receipt(actor: Staff, data: IntakeData, now: datetime.datetime, *, created_target: Target | None = None,
             review_task: ReviewTask | None = None) -> Registration:
    department_id = actor.department_id
    if department_id is None:  # policy refused such an actor already; this keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.HANDLE_VICTIMS))
    receipt = Registration.objects.create(
        department_id=department_id, submitted_by=actor, created_at=now, intake=_intake_json(data),
        created_target=created_target, review_task=review_task,
    )
    detail: dict[str, object] = {"registration_id": receipt.pk, "outcome": "new" if created_target else "duplicate"}
    if review_task is not None:
        detail["review_task_id"] = review_task.pk
    audit_record(actor=actor, action=AuditAction.REGISTRATION_SUBMIT, target_id=receipt.concerns_target_id,
                 detail=detail)
    return receipt


def registration_refusal_record(*, actor: Staff, payload: object, fields: list[str]) -> None:
    """A refused, malformed registration: the fields at fault and, if the number itself was
    well-formed and names a target, that target's id (never the number)."""
    target_id = None
    if isinstance(payload, dict) and "atena_no" not in fields:
        try:
            atena_no = normalize_atena_no(payload.get("atena_no"))
        except DomainError:
            atena_no = None
        if atena_no:
            target_id = Target.objects.filter(atena_no=atena_no).values_list("pk", flat=True).first()
    audit_refusal(actor=actor, action=AuditAction.REGISTRATION_SUBMIT, target_id=target_id,
                  detail={"outcome": "invalid", "fields": sorted(fields)})


def _sharing_refusal(actor: Staff, target: Target, action: AuditAction, department_code: object
                     ) -> Department:
    """The department a grant or revoke names, once the actor may decide it: a head of the
    owning department (policy.grant_refusal) naming another, existing department. Every
    refusal is audited with the target id and survives the rollback (ADR 0014)."""
    code = str(department_code or "").strip()[:20]

    def refused(reason: str, message: str, error: type[DomainError] = DomainError) -> DomainError:
        audit_refusal(actor=actor, action=action, target_id=target.pk, detail={"department": code, "reason": reason})
        return error(message) if error is Forbidden else error(message, "department")

    refusal = policy.grant_refusal(actor, owning_department_id=target.owning_department_id)
    if refusal:
        raise refused("not_owner_head", refusal, Forbidden)
    department = Department.objects.select_related("group").filter(code=code).first() if code else None
    if department is None:
        raise refused("unknown_department", "指定された所属が見つかりません。所属を選び直してください。")
    if department.pk == target.owning_department_id:
        raise refused("owning_department", "登録した所属は常に閲覧できます。他の所属を選んでください。")
    return department


@audited_atomic
def target_grant_department(*, actor: Staff, target_id: int, department_code: str, reason: str = "") -> Department:
    """The owning department's head shares the full record with another department: its
    group gets the target's object permissions, so it sees the record from this moment."""
    target = target_lock_for_user(actor=actor, target_id=target_id)  # 404 unless the actor may see it
    department = _sharing_refusal(actor, target, AuditAction.TARGET_GRANT, department_code)
    _grant(actor, target, department, reason=reason)
    return department


def grant_record(*, actor: Staff, target: Target, department: Department, kind: GrantKind, reason: str = "",
                 change_request: ChangeRequest | None = None) -> GrantRecord:
    """The row a grant's or revoke's 決裁票 prints (ADR 0025, 0034)."""
    if actor.department is None:  # only a head of a department grants; keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.DECIDE))
    return GrantRecord.objects.create(target=target, department=department, kind=kind, by=actor,
                                      by_department=actor.department, at=timezone.now(),
                                      reason=(reason or "").strip(), change_request=change_request)


def _grant(actor: Staff, target: Target, department: Department, reason: str = "", **detail: object) -> None:
    for perm in TARGET_PERMS:
        assign_perm(perm, department.group, target)
    record = grant_record(actor=actor, target=target, department=department, kind=GrantKind.GRANTED, reason=reason)
    audit_record(actor=actor, action=AuditAction.TARGET_GRANT, target_id=target.pk,
                 detail={"department": department.code, "grant_record_id": record.pk, **detail})


@audited_atomic
def target_revoke_department(*, actor: Staff, target_id: int, department_code: str, reason: str = "") -> Department:
    """Ends a grant: the department's group loses the target's object permissions, so the
    record leaves its list and its detail answers 404 from this moment."""
    target = target_lock_for_user(actor=actor, target_id=target_id)
    department = _sharing_refusal(actor, target, AuditAction.TARGET_REVOKE, department_code)
    if department not in target_granted_departments(target):
        audit_refusal(actor=actor, action=AuditAction.TARGET_REVOKE, target_id=target.pk,
                      detail={"department": department.code, "reason": "not_granted"})
        raise DomainError("この所属には閲覧を許可していません。", "department")
    for perm in TARGET_PERMS:
        remove_perm(perm, department.group, target)
    record = grant_record(actor=actor, target=target, department=department, kind=GrantKind.REVOKED, reason=reason)
    audit_record(actor=actor, action=AuditAction.TARGET_REVOKE, target_id=target.pk,
                 detail={"department": department.code, "grant_record_id": record.pk})
    return department


@audited_atomic
def case_confirm_procedure(*, actor: Staff, case_id: int, procedure: str,
                           confirmed_on: datetime.date) -> CaseAssessment:
    """Record that a ②-I suspension procedure, or the end of ②-II representation, is confirmed."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target_id = target_id_of_case(actor=actor, case_id=case_id, action=AuditAction.CASE_CONFIRM_PROCEDURE)
    target_lock_for_user(actor=actor, target_id=target_id)
    case = CaseAssessment.objects.select_for_update().get(pk=case_id)
    step = rules.PROCEDURES.get(procedure)
    if step is None:
        raise DomainError("確認する手続の種類が正しくありません。", "procedure")
    if case.case_type != step.case_type or (step.applies_if and not getattr(case, step.applies_if)):
        raise DomainError("この類型には該当しない手続です。", "procedure")
    if not case.active:
        raise DomainError("既に終了した類型です。", "procedure")
    if confirmed_on > timezone.localdate():
        raise DomainError("確認日が未来の日付です。", "confirmed_on")
    setattr(case, step.date_field, confirmed_on)
    setattr(case, step.by_field, actor)
    case.save(update_fields=[step.date_field, step.by_field])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CONFIRM_PROCEDURE,
        target_id=case.target_id,
        detail={"case_id": case.pk, "procedure": procedure},
    )
    return case


# --- the four-eyes decisions ------------------------------------------------------------

_DECIDED = {
    (ChangeStatus.APPROVED, ChangeAction.AMEND): AuditAction.CHANGE_REQUEST_APPROVE_AMEND,
    (ChangeStatus.REJECTED, ChangeAction.AMEND): AuditAction.CHANGE_REQUEST_REJECT_AMEND,
    (ChangeStatus.WITHDRAWN, ChangeAction.AMEND): AuditAction.CHANGE_REQUEST_WITHDRAW_AMEND,
    (ChangeStatus.APPROVED, ChangeAction.SET): AuditAction.CHANGE_REQUEST_APPROVE_SET,
    (ChangeStatus.APPROVED, ChangeAction.RELEASE): AuditAction.CHANGE_REQUEST_APPROVE_RELEASE,
    (ChangeStatus.REJECTED, ChangeAction.SET): AuditAction.CHANGE_REQUEST_REJECT_SET,
    (ChangeStatus.REJECTED, ChangeAction.RELEASE): AuditAction.CHANGE_REQUEST_REJECT_RELEASE,
    (ChangeStatus.WITHDRAWN, ChangeAction.SET): AuditAction.CHANGE_REQUEST_WITHDRAW_SET,
    (ChangeStatus.WITHDRAWN, ChangeAction.RELEASE): AuditAction.CHANGE_REQUEST_WITHDRAW_RELEASE,
    (ChangeStatus.APPROVED, ChangeAction.TRANSFER): AuditAction.CHANGE_REQUEST_APPROVE_TRANSFER,
    (ChangeStatus.REJECTED, ChangeAction.TRANSFER): AuditAction.CHANGE_REQUEST_REJECT_TRANSFER,
    (ChangeStatus.WITHDRAWN, ChangeAction.TRANSFER): AuditAction.CHANGE_REQUEST_WITHDRAW_TRANSFER,
}
# A closed registration leaves the target in the matching state; a closed release leaves it set.
_CLOSED_REGISTRATION = {ChangeStatus.REJECTED: TargetStatus.REJECTED, ChangeStatus.WITHDRAWN: TargetStatus.WITHDRAWN}


def _lock_request(actor: Staff, change_request_id: object, action: AuditAction) -> tuple[Target, ChangeRequest]:
    """A request and its target, locked in that order, for those who see the target or decide
    the request (the receiving head of a transfer, a fallback approver: ADR 0033)."""
    target = target_lock_for_decision(actor=actor, change_request_id=change_request_id, action=action)
    return target, change_requests.change_request_lock(change_request_id=object_id(change_request_id) or 0)


def _ensure_decider(actor: Staff, target: Target, change_request: ChangeRequest) -> None:
    refusal = policy.decision_refusal(
        actor, deciding_department_id=change_request.deciding_department_id,
        requested_by_id=change_request.requested_by_id,
    )
    if refusal:
        audit_refusal(
            actor=actor,
            action=AuditAction.CHANGE_REQUEST_DECIDE,
            target_id=target.pk,
            detail={"change_request_id": change_request.pk},
        )
        raise Forbidden(refusal)


@audited_atomic
def change_request_approve(*, actor: Staff, change_request_id: int, comment: str = "") -> ChangeRequest:
    # The object first (absent and hidden alike: 404), then who may decide (403), both audited.
    target, change_request = _lock_request(actor, change_request_id, AuditAction.CHANGE_REQUEST_DECIDE)
    _ensure_decider(actor, target, change_request)
    change_requests.change_request_ensure_pending(change_request)
    now = timezone.now()
    if change_request.action == ChangeAction.TRANSFER:
        return _approve_transfer(actor, target, change_request, now, comment)
    changes_protection = True
    if change_request.action == ChangeAction.AMEND:
        # The amended record and its before/after; flags then follow the difference only.
        changes_protection = amendment_apply(target, Amendment.objects.select_for_update().get(
            change_request=change_request))
    elif change_request.action == ChangeAction.RELEASE:
        _release_cases(target, change_request, now)
    else:
        target.status = TargetStatus.ACTIVE
    target.save(update_fields=["status", "updated_at"])
    # desired_flags_apply inserts an operation only for a flag whose desired value changes:
    # an amendment adding a case whose flags are set already sends nothing (ADR 0030).
    operations = desired_flags_apply(
        atena_no=target.atena_no, wanted=measures_for(target).victim_flags, change_request_id=change_request.pk, now=now
    )
    change_requests.change_request_close(
        change_request=change_request, status=ChangeStatus.APPROVED, decider=actor, reason=comment, now=now
    )
    if change_request.action == ChangeAction.AMEND:
        notices_on_amendment_approved(target=target, change_request=change_request,
                                      changes_protection=changes_protection, now=now)
    else:
        _notify_on_approval(target, change_request, now)
    audit_record(
        actor=actor,
        action=_DECIDED[(ChangeStatus.APPROVED, ChangeAction(change_request.action))],
        target_id=target.pk,
        detail={"change_request_id": change_request.pk, "operation_ids": [str(o.id) for o in operations]},
    )
    return change_request


def _approve_transfer(actor: Staff, target: Target, change_request: ChangeRequest, now: datetime.datetime,
                      comment: str) -> ChangeRequest:
    """The receiving head takes the case over (ADR 0034); the measures stay as they are."""
    old_owner = target.owning_department
    change_requests.change_request_close(
        change_request=change_request, status=ChangeStatus.APPROVED, decider=actor, reason=comment, now=now)
    kept = transfer_apply(actor=actor, target=target, change_request=change_request, now=now)
    audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_APPROVE_TRANSFER, target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "from": old_owner.code,
                         "to": target.owning_department.code, "grant_record_id": kept.pk})
    return change_request


def _release_cases(target: Target, change_request: ChangeRequest, now: datetime.datetime) -> None:
    """Re-check the release against the live record (never an old list), then end the cases."""
    cases = list(
        CaseAssessment.objects.select_for_update().filter(
            pk__in=change_request.release_cases.values("pk"), target=target
        )
    )
    refusal = rules.release_refusal(
        reason=change_request.release_reason, cases=cases, jumin_support_active=target.jumin_support_active
    )
    if refusal:
        raise DomainError(f"現在の登録内容では解除できません：{refusal}")
    CaseAssessment.objects.filter(pk__in=[c.pk for c in cases]).update(active=False, ended_at=now)
    if not target.cases.filter(active=True).exists():
        target.status = TargetStatus.RELEASED


def _close(
    *, actor: Staff, target: Target, change_request: ChangeRequest, status: ChangeStatus, reason: str,
    decider: Staff | None
) -> ChangeRequest:
    """Reject or withdraw a pending request the caller has locked and allowed."""
    change_requests.change_request_close(
        change_request=change_request, status=status, decider=decider, reason=reason, now=timezone.now()
    )
    if change_request.action == ChangeAction.SET and target.status == TargetStatus.PENDING:
        target.status = _CLOSED_REGISTRATION[status]
        target.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=_DECIDED[(status, ChangeAction(change_request.action))],
        target_id=target.pk,
        detail={"change_request_id": change_request.pk},
    )
    return change_request


def _ensure_registration_may_end(actor: Staff, target: Target, change_request: ChangeRequest, ending: str,
                                 action: AuditAction) -> None:
    """A registration (set request) must not end while a 住基DV等支援措置 is active, exactly
    as a release must not (rules.protection_end_refusal, ADR 0016). Ending a release request
    keeps the protection, so it is never refused here."""
    if change_request.action != ChangeAction.SET:
        return
    refusal = rules.protection_end_refusal(ending=ending, jumin_support_active=target.jumin_support_active)
    if refusal:
        audit_refusal(actor=actor, action=action, target_id=target.pk,
                      detail={"change_request_id": change_request.pk, "reason": "jumin_support_active"})
        raise DomainError(refusal)


@audited_atomic
def change_request_reject(*, actor: Staff, change_request_id: int, reason: str) -> ChangeRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("却下の理由を入力してください。", "reason")
    target, change_request = _lock_request(actor, change_request_id, AuditAction.CHANGE_REQUEST_DECIDE)
    _ensure_decider(actor, target, change_request)
    change_requests.change_request_ensure_pending(change_request)
    _ensure_registration_may_end(actor, target, change_request, rules.ENDING_REJECT,
                                 AuditAction.CHANGE_REQUEST_REJECT_SET)
    return _close(actor=actor, target=target, change_request=change_request, status=ChangeStatus.REJECTED,
                  reason=reason, decider=actor)


@audited_atomic
def change_request_withdraw(*, actor: Staff, change_request_id: int, reason: str = "") -> ChangeRequest:
    """The requesting side takes a pending request back.

    A release request is withdrawn at once (the protection stays). A registration ends the
    protection, so its withdrawal is four-eyes like a release (ADR 0016): the first call
    records who asks and the request stays pending (the person stays protected); the same
    call by a head of the owning department who neither asked nor registered completes it.
    Refused while a 住基DV等支援措置 is active."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target, change_request = _lock_request(actor, change_request_id, AuditAction.TARGET_LOCK)
    change_requests.change_request_ensure_pending(change_request)
    if change_request.action == ChangeAction.TRANSFER:
        refusal = policy.transfer_withdrawal_refusal(actor, owning_department_id=target.owning_department_id)
        if refusal:
            audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_WITHDRAW_TRANSFER, target_id=target.pk,
                          detail={"change_request_id": change_request.pk})
            raise Forbidden(refusal)
    if change_request.action != ChangeAction.SET:
        # Who withdrew is in the audit event; decided_by stays empty (it means a four-eyes decision).
        return _close(actor=actor, target=target, change_request=change_request, status=ChangeStatus.WITHDRAWN,
                      reason=reason, decider=None)
    _ensure_registration_may_end(actor, target, change_request, rules.ENDING_WITHDRAW,
                                 AuditAction.CHANGE_REQUEST_WITHDRAW_SET)
    if change_request.withdrawal_requested_by_id is None:
        change_requests.change_request_ask_withdrawal(
            change_request=change_request, asked_by=actor, reason=reason, now=timezone.now())
        audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_WITHDRAWAL, target_id=target.pk,
                     detail={"change_request_id": change_request.pk})
        return change_request
    refusal = policy.withdrawal_refusal(
        actor, deciding_department_id=change_request.deciding_department_id,
        asked_by_id=change_request.withdrawal_requested_by_id, registered_by_id=change_request.requested_by_id)
    if refusal:
        audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_DECIDE, target_id=target.pk,
                      detail={"change_request_id": change_request.pk})
        raise Forbidden(refusal)
    return _close(actor=actor, target=target, change_request=change_request, status=ChangeStatus.WITHDRAWN,
                  reason=change_request.withdrawal_reason or reason, decider=actor)


@audited_atomic
def release_request_create(
    *, actor: Staff, target_id: int, reason: str, case_ids: list[int] | None, comment: str = ""
) -> ChangeRequest:
    """Request release of some (or, when case_ids is empty, all) active cases."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = target_lock_for_user(actor=actor, target_id=target_id)
    if target.status != TargetStatus.ACTIVE:
        raise DomainError("設定中（承認済み）の対象者のみ解除を申請できます。")
    active = target.cases.filter(active=True)
    cases = list(active.filter(pk__in=case_ids)) if case_ids else list(active)
    if case_ids and len(cases) != len(set(case_ids)):
        raise DomainError("解除する類型の指定が正しくありません。", "cases")
    refusal = rules.release_refusal(reason=reason, cases=cases, jumin_support_active=target.jumin_support_active)
    if refusal:
        raise DomainError(refusal, "reason")
    change_request = change_requests.change_request_open(
        target_id=target.pk,
        department_id=target.owning_department_id,
        action=ChangeAction.RELEASE,
        requested_by=actor,
        now=timezone.now(),
        release_reason=reason,
        comment=comment,
        release_case_ids=[c.pk for c in cases],
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE_REQUEST_REQUEST_RELEASE,
        target_id=target.pk,
        detail={"change_request_id": change_request.pk, "case_ids": [c.pk for c in cases], "reason": reason},
    )
    return change_request


# --- amendments (ADR 0030–0032) ------------------------------------------------------------

AMENDMENT_ACTIVE_ONLY = "設定中（承認済み）の対象者のみ設定内容の変更を申請できます。"
AMENDMENT_PENDING = "この対象者には承認待ちの設定内容の変更があります。承認・却下・取下げの後に申請してください。"


@dataclass(frozen=True)
class AmendmentRequested:
    change_request: ChangeRequest
    amendment: Amendment
    measures: rules.Measures  # as they will be once approved
    warnings: list[str]


@audited_atomic
def amendment_request(*, actor: Staff, target_id: object, payload: object, today: datetime.date
                      ) -> AmendmentRequested:
    """A pending `amend` change request of an active target, by its owning department's
    staff (anyone else: 404, audited). The cases it adds protect at the inquiry check from
    now (ProvisionalProtection tied to the request, ADR 0030) — only the numbers whose
    protection grows, so a correction alone protects nothing new. Record, flags and
    operations change at approval. One open request per target at a time (409)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    pk = object_id(target_id)
    target = target_lock_for_user(actor=actor, target_id=pk)
    if not policy.may_amend(actor, owning_department_id=target.owning_department_id):
        raise refuse(actor=actor, action=AuditAction.TARGET_LOCK, target_id=target.pk,
                     detail={"attempt": "amend"})
    if target.status != TargetStatus.ACTIVE:
        audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_AMEND, target_id=target.pk,
                      detail={"reason": "not_active"})
        raise Conflict(AMENDMENT_ACTIVE_ONLY)
    open_request = ChangeRequest.objects.filter(target=target, status=ChangeStatus.PENDING).first()
    if open_request is not None:
        audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_AMEND, target_id=target.pk,
                      detail={"reason": "pending", "change_request_id": open_request.pk})
        raise Conflict(AMENDMENT_PENDING if open_request.action == ChangeAction.AMEND
                       else "この対象者には処理中の申請があります。先に承認・却下・取下げを行ってください。")
    try:
        data: AmendmentInput = parse_amendment(payload, target=target, today=today)
        if "standard_atena_no" in data.personal:
            numbers.lock_numbers()
            numbers.require_standard_number_free(str(data.personal["standard_atena_no"]), target_id=target.pk,
                                                 field="personal.standard_atena_no")
    except ValidationFailed as exc:
        audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_AMEND, target_id=target.pk,
                      detail={"reason": "invalid", "fields": sorted(exc.errors)})
        raise
    now = timezone.now()
    change_request = change_requests.change_request_open(
        target_id=target.pk, department_id=target.owning_department_id, action=ChangeAction.AMEND,
        requested_by=actor, now=now, comment=data.reason)
    amendment = Amendment.objects.create(change_request=change_request, target=target, reason=data.reason,
                                         requested=data.as_json())
    before, after = measures_for(target), measures_after(target, data)
    grows_for_victim = bool(after.victim_flags - before.victim_flags) or (
        after.code_on_victim and not before.code_on_victim)
    # A standard number asked for becomes an alias at approval, not before (ADR 0046).
    protect = [(number, False) for number in _victim_numbers(target)] if grows_for_victim else []
    protect += [(abuser, True) for abuser in sorted(after.code_on_abusers - before.code_on_abusers)]
    ProvisionalProtection.objects.bulk_create([
        ProvisionalProtection(change_request=change_request, target=target, atena_no=number, is_abuser=is_abuser)
        for number, is_abuser in protect
    ])
    audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_AMEND, target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "personal": sorted(data.personal),
                         "jumin_support": data.jumin_support is not None,
                         "cases": [c.case_type for c in data.cases], "provisional": len(protect)})
    warnings = [MAJORITY_REACHED] if majority_reached(target, data, today) else []
    return AmendmentRequested(change_request=change_request, amendment=amendment, measures=after, warnings=warnings)


# --- notices to the other linkage departments (ADR 0027) ---------------------------------


def notify_linkage_departments(*, target: Target, change_request: ChangeRequest, kind: NoticeKind,
                               now: datetime.datetime) -> list[Notice]:
    """Tell every other department holding the shared list that this person's protection
    changed: 宛名番号 and 氏名 as the shared list shows them and the kind, never the case or the
    abuser. The owning department made the change, and a department without linkage holds no
    list, so neither is told. Called inside the approving service's transaction."""
    notices = [
        Notice(department=d, kind=kind, atena_no=target.atena_no, name=target.name,
               change_request=change_request, created_at=now)
        for d in Department.objects.filter(does_linkage=True).exclude(pk=target.owning_department_id)
    ]
    return Notice.objects.bulk_create(notices)


def _notify_on_approval(target: Target, change_request: ChangeRequest, now: datetime.datetime) -> None:
    """An approved set puts the person on the shared list; an approved release takes them off
    it, or — when other cases remain — changes their protection while they stay a target."""
    if change_request.action == ChangeAction.SET:
        kind = NoticeKind.SET
    elif target.status == TargetStatus.RELEASED:
        kind = NoticeKind.RELEASE
    else:
        kind = NoticeKind.AMEND
    notify_linkage_departments(target=target, change_request=change_request, kind=kind, now=now)


def notices_on_amendment_approved(*, target: Target, change_request: ChangeRequest, changes_protection: bool,
                                  now: datetime.datetime) -> list[Notice]:
    """What the approval of an amendment calls once the amended record is saved, in its
    transaction (ADR 0030): an amendment that changes protection (a case added
    or ended, a birth date that moves the ②-II majority) is an `amend` notice to every other
    linkage department; a correction that changes nothing for them (a kana typo) is not.
    The name on the notice is the corrected one, as the shared list now shows it."""
    if not changes_protection:
        return []
    return notify_linkage_departments(target=target, change_request=change_request, kind=NoticeKind.AMEND, now=now)


@audited_atomic
def notice_acknowledge(*, actor: Staff, notice_id: object) -> Notice:
    """The recipient department records that it has acted on a notice (e.g. removed the
    person from its 宛先ファイル). Idempotent: the first acknowledgement (who, when) stays; a
    later one is audited as such and changes nothing. Another department's notice, or none,
    is the same 404, audited."""
    policy.require(actor, Capability.CHECK)
    pk = object_id(notice_id)
    notice = (Notice.objects.select_for_update(of=("self",)).select_related("change_request", "acknowledged_by")
              .filter(pk=pk, department=actor.department_id).first() if pk is not None else None)
    if notice is None:
        raise refuse(actor=actor, action=AuditAction.NOTICE_ACKNOWLEDGE, detail={"notice_id": pk})
    already = notice.acknowledged_at is not None
    if not already:
        notice.acknowledged_at, notice.acknowledged_by = timezone.now(), actor
        notice.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(actor=actor, action=AuditAction.NOTICE_ACKNOWLEDGE, target_id=notice.change_request.target_id,
                 detail={"notice_id": notice.pk, "kind": notice.kind, "already": already})
    return notice


# --- review tasks and 追記 requests -----------------------------------------------------


def _open_task_lock(actor: Staff, task_id: object, action: AuditAction) -> ReviewTask:
    """An open review task of the actor's department, row-locked (anything else: 404, audited)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    pk = object_id(task_id)
    task = (
        ReviewTask.objects.select_for_update().filter(pk=pk, department=actor.department_id).first()
        if pk is not None
        else None
    )
    if task is None:
        raise refuse(actor=actor, action=action, detail={"review_task_id": pk})
    if task.status != ReviewTaskStatus.OPEN:
        raise DomainError("この確認事項は既に対応済みです。")
    return task


def _task_close(actor: Staff, task: ReviewTask, note: str) -> ReviewTask:
    task.status, task.closed_at, task.closed_by, task.note = ReviewTaskStatus.DONE, timezone.now(), actor, note
    task.save(update_fields=["status", "closed_at", "closed_by", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_TASK_CLOSE,
        target_id=task.target_id,
        detail={"review_task_id": task.pk, "kind": task.kind},
    )
    return task


@audited_atomic
def review_task_close(*, actor: Staff, task_id: int, note: str = "") -> ReviewTask:
    """The owning department records that it reviewed the event (e.g. decided to keep or release)."""
    return _task_close(actor, _open_task_lock(actor, task_id, AuditAction.REVIEW_TASK_CLOSE), note)


ALSO_SUPPORTED_GRANTED_NOTE = "申出をした所属に閲覧を許可しました。"


@audited_atomic
def review_task_grant(*, actor: Staff, task_id: int) -> ReviewTask:
    """「この所属に閲覧を許可する」 on an also_supported task: the owner's head grants the
    department that registered the person and closes the task in one transaction, which
    ends the provisional protection (ADR 0024): from now on the owner's record decides."""
    task = _open_task_lock(actor, task_id, AuditAction.TARGET_GRANT)
    receipt = Registration.objects.select_related("department").filter(review_task=task).first()
    if task.kind != ReviewTaskKind.ALSO_SUPPORTED or receipt is None:
        raise DomainError("この確認事項には閲覧を許可する所属がありません。")
    target = target_lock_for_user(actor=actor, target_id=task.target_id)
    department = _sharing_refusal(actor, target, AuditAction.TARGET_GRANT, receipt.department.code)
    _grant(actor, target, department, review_task_id=task.pk, registration_id=receipt.pk)
    return _task_close(actor, task, ALSO_SUPPORTED_GRANTED_NOTE)


_CORRECTION_OPEN = "この対象者の追記依頼は既に登録されており、まだ完了していません。"


def correction_refusal(target: Target, corrections: Iterable[RecordCorrection]) -> str | None:
    """Why a 追記 cannot be requested now, or None: the one rule for the service and the
    target's page (which shows the button only when this is None)."""
    if target.status not in PROTECTING_STATUSES:
        return "設定中または登録承認待ちの対象者についてのみ依頼できます。"
    if any(c.status == CorrectionStatus.OPEN for c in corrections):
        return _CORRECTION_OPEN
    return None


@audited_atomic
def correction_request(*, actor: Staff, target_id: int) -> RecordCorrection:
    target = target_lock_for_user(actor=actor, target_id=target_id)  # 404 unless the actor may see it
    refusal = correction_refusal(target, RecordCorrection.objects.filter(target=target))
    if refusal:
        raise DomainError(refusal)
    try:
        with transaction.atomic():
            correction = RecordCorrection.objects.create(
                target=target, atena_no=target.atena_no, requested_by=actor, requested_at=timezone.now()
            )
    except IntegrityError:  # a second request racing the first: the constraint keeps one open
        raise DomainError(_CORRECTION_OPEN) from None
    audit_record(
        actor=actor, action=AuditAction.CORRECTION_REQUEST, target_id=target.pk, detail={"correction_id": correction.pk}
    )
    return correction


# --- the 住民記録 push (住基DV等支援措置) ---------------------------------------------------


@dataclass(frozen=True)
class JuminSupport:
    """One validated item of a 住民記録 push (integration.jumin parses it)."""

    atena_no: str
    event: str  # start / extend / end
    start: datetime.date | None
    end: datetime.date | None
    name: str = ""
    name_kana: str = ""
    birth_date: datetime.date | None = None
    harm_types: tuple[str, ...] = (HarmType.OTHER,)
    standard_atena_no: str | None = None  # the 住民記録 system's 宛名番号 (ADR 0046)


_JUMIN_EVENT_ACTIONS = {
    "start": AuditAction.JUMIN_SUPPORT_START,
    "extend": AuditAction.JUMIN_SUPPORT_EXTEND,
    "end": AuditAction.JUMIN_SUPPORT_END,
}


@audited_atomic
def jumin_support_apply(*, actor: Staff, items: list[JuminSupport]) -> list[dict[str, str]]:
    """DOMAIN.md §2: every 支援措置 person must be a target.

    - start / extend: the person becomes, or stays, a target. A new person is registered as
      a pending target of the calling system's department with a pending set request (from
      that moment the inquiry-time check protects) and a review task to assess the case
      types. A person whose record was released, rejected or withdrawn is reopened the same way.
    - end: the period is recorded and a review task goes to the owning department. Nothing is
      released: only a person decides a release, through the four-eyes flow.

    One push is one transaction: either all items apply or none. Row locks in atena_no
    order, so two pushes cannot deadlock."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    now = timezone.now()
    numbers.lock_numbers()
    by_atena = {
        t.atena_no: t
        for t in Target.objects.select_for_update()
        .filter(atena_no__in=[i.atena_no for i in items])
        .order_by("atena_no")
    }
    conflicts = _jumin_number_conflicts(items, by_atena)
    if conflicts:
        raise ValidationFailed(conflicts)
    # A new person, or one whose personal data was erased after the record period (ADR 0081).
    missing_identity = [
        i
        for i, item in enumerate(items)
        if item.event != "end" and (item.atena_no not in by_atena or by_atena[item.atena_no].personal_data_erased_at)
        and not (item.name and item.birth_date)
    ]
    if missing_identity:
        raise ValidationFailed(
            {f"measures[{i}].name": "未登録の方のため、氏名・氏名カナ・生年月日が必要です。" for i in missing_identity}
        )
    results = []
    for item in items:
        target = by_atena.get(item.atena_no)
        if target is None:
            results.append(
                {"atena_no": item.atena_no, "event": "end", "result": "no_target"}
                if item.event == "end"
                else _jumin_create(actor, item, now)
            )
        elif item.event == "end":
            results.append(_jumin_end(actor, item, target, now))
        else:
            results.append(_jumin_start_or_extend(actor, item, target, now))
    # One event for the push as a whole (counts only); each changed target has its own event above.
    audit_record(
        actor=actor,
        action=AuditAction.JUMIN_PUSH,
        detail={"items": len(items), "results": dict(Counter(r["result"] for r in results))},
    )
    return results


def _jumin_number_conflicts(items: list[JuminSupport], by_atena: dict[str, Target]) -> dict[str, str]:
    """A push naming a number another target is known by (ADR 0046): a new person's atena_no
    that is another target's standard number, or a standard number that is another target's
    (or another item's) number. Refused whole, as every other error of a push."""
    pushed = {i.atena_no: n for n, i in enumerate(items)}
    wanted = [i.atena_no for i in items if i.atena_no not in by_atena and i.event != "end"]
    wanted += [i.standard_atena_no for i in items if i.standard_atena_no]
    known: dict[str, int] = {}  # a number → the target known by it
    named = Target.objects.filter(Q(atena_no__in=wanted) | Q(standard_atena_no__in=wanted))
    for pk, atena_no, standard in named.values_list("pk", "atena_no", "standard_atena_no"):
        known.setdefault(atena_no, pk)
        if standard:
            known.setdefault(standard, pk)
    errors: dict[str, str] = {}
    for n, item in enumerate(items):
        own = by_atena.get(item.atena_no)
        own_id = own.pk if own is not None else None
        if own is None and item.event != "end" and known.get(item.atena_no) is not None:
            errors[f"measures[{n}].atena_no"] = numbers.ATENA_TAKEN
        standard = item.standard_atena_no
        if standard is None or item.event == "end":
            continue
        if known.get(standard, own_id) != own_id or pushed.get(standard, n) != n:
            errors[f"measures[{n}].standard_atena_no"] = numbers.STANDARD_TAKEN
    return errors


def _jumin_standard_record(item: JuminSupport, target: Target, detail: dict[str, object]) -> None:
    """The pushed standard number on the target; the event says that it changed, never the number."""
    if item.standard_atena_no and item.standard_atena_no != target.standard_atena_no:
        detail["standard_atena_no"] = "changed" if target.standard_atena_no else "recorded"
        target.standard_atena_no = item.standard_atena_no


def _review_task(actor: Staff, target: Target, kind: ReviewTaskKind, now: datetime.datetime) -> ReviewTask:
    return ReviewTask.objects.create(
        target=target, department=target.owning_department, kind=kind, created_at=now, created_by=actor
    )


def _pending_set_request(actor: Staff, target: Target, now: datetime.datetime) -> ChangeRequest:
    return change_requests.change_request_pending_set(target_id=target.pk) or change_requests.change_request_open(
        target_id=target.pk,
        department_id=target.owning_department_id,
        action=ChangeAction.SET,
        requested_by=actor,
        now=now,
        comment="住基DV等支援措置の連携による設定申請",
    )


def _jumin_create(actor: Staff, item: JuminSupport, now: datetime.datetime) -> dict[str, str]:
    birth_date = item.birth_date
    if birth_date is None:  # jumin_support_apply refused such an item before any write
        raise ValidationFailed({"measures": "未登録の方のため、氏名・氏名カナ・生年月日が必要です。"})
    identity = IntakeData(
        atena_no=item.atena_no,
        name=item.name,
        name_kana=item.name_kana or "",
        birth_date=birth_date,
        harm_types=list(item.harm_types),
        fled=True,
        basis=Basis.EX_OFFICIO,
        jumin_support_active=True,
        jumin_support_start=item.start,
        jumin_support_end=item.end,
        cases=[],
        standard_atena_no=item.standard_atena_no,
    )
    try:
        target = _target_create(actor=actor, identity=identity, now=now)
    except IntegrityError:  # registered concurrently (counter or another push): nothing applied
        raise Conflict("同じ宛名番号が同時に登録されました。もう一度送信してください。") from None
    change_request = _pending_set_request(actor, target, now)
    task = _review_task(actor, target, ReviewTaskKind.INTAKE_REQUIRED, now)
    audit_record(
        actor=actor,
        action=AuditAction.JUMIN_SUPPORT_START,
        target_id=target.pk,
        detail={
            "event": item.event,
            "result": "created",
            "change_request_id": change_request.pk,
            "review_task_id": task.pk,
        },
    )
    return {"atena_no": item.atena_no, "event": item.event, "result": "created"}


def identity_restore(target: Target, *, name: str, name_kana: str, birth_date: datetime.date | None) -> bool:
    """A person protected again after their personal data was erased (ADR 0081) gets the
    identity of the new registration or push; anyone else keeps the record's (correcting it
    is an amendment). Returns whether it was restored."""
    if target.personal_data_erased_at is None:
        return False
    target.name, target.name_kana, target.birth_date = name, name_kana, birth_date
    target.personal_data_erased_at = None
    return True


def _jumin_start_or_extend(actor: Staff, item: JuminSupport, target: Target, now: datetime.datetime) -> dict[str, str]:
    if identity_restore(target, name=item.name, name_kana=item.name_kana, birth_date=item.birth_date):
        target.save(update_fields=["name", "name_kana", "birth_date", "personal_data_erased_at"])
    target.jumin_support_active = True
    if item.start:
        target.jumin_support_start = item.start
    target.jumin_support_end = item.end
    detail: dict[str, object] = {"event": item.event}
    _jumin_standard_record(item, target, detail)
    if target.status in PROTECTING_STATUSES:
        result = "updated"
    else:
        # Released / rejected / withdrawn earlier: a 支援措置 person must be a target again.
        target.status = TargetStatus.PENDING
        detail["change_request_id"] = _pending_set_request(actor, target, now).pk
        detail["review_task_id"] = _review_task(actor, target, ReviewTaskKind.JUMIN_REOPENED, now).pk
        result = "reopened"
    target.save(
        update_fields=["jumin_support_active", "jumin_support_start", "jumin_support_end", "status",
                       "standard_atena_no", "updated_at"]
    )
    detail["result"] = result
    audit_record(actor=actor, action=_JUMIN_EVENT_ACTIONS[item.event], target_id=target.pk, detail=detail)
    return {"atena_no": item.atena_no, "event": item.event, "result": result}


def _jumin_end(actor: Staff, item: JuminSupport, target: Target, now: datetime.datetime) -> dict[str, str]:
    target.jumin_support_active = False
    target.jumin_support_end = item.end
    target.save(update_fields=["jumin_support_active", "jumin_support_end", "updated_at"])
    # Never a release: the owning department reviews whether protection is still needed.
    task = _review_task(actor, target, ReviewTaskKind.JUMIN_ENDED, now)
    audit_record(
        actor=actor,
        action=AuditAction.JUMIN_SUPPORT_END,
        target_id=target.pk,
        detail={"event": "end", "result": "review_task_created", "review_task_id": task.pk},
    )
    return {"atena_no": item.atena_no, "event": "end", "result": "review_task_created"}
