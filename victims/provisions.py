"""Manual-provision decisions (DOMAIN §5, §7 Point 5; ADR 0036, 0037).

When an inquiry about a person under 自動応答不可 reaches the intermediate server, nothing is
answered automatically: the 情報連携 contact point decides by hand whether to provide. This
module records that decision (requested by the contact point's staff, approved or rejected by
its head, four eyes), lists it for the contact point, the target's owning department and the
auditors, and prints its 決裁票. Every read and every refusal is audited.

A number that is not a target, a target not under 自動応答不可 and a number never registered
get the same answer (ADR 0036): the form would otherwise tell who is protected, and how.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal, audited_atomic
from core import policy
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.normalize import normalize_atena_no, refuse_control_characters
from core.policy import Capability
from intermediary.flag_kinds import NO_AUTO_RESPONSE
from intermediary.selectors import flag_states_for_unit

from .models import (
    INFO_CODE_PATTERN,
    PROTECTING_STATUSES,
    ProvisionDecision,
    ProvisionDecisionKind,
    ProvisionDecisionStatus,
    ProvisionDisclosure,
    Target,
)
from .selectors import object_id, refuse
from .services import measures_for

INQUIRER_MAX = 100
_INFO_CODE = re.compile(INFO_CODE_PATTERN)
NOTE_MAX = 2000
# 情報連携 began in 2017; anything earlier is a typing error (and year 1 would overflow in UTC).
EARLIEST_RECEIVED_AT = datetime.datetime(2017, 1, 1, tzinfo=datetime.UTC)

NOT_UNDER_NO_AUTO_RESPONSE = (
    "自動応答不可の設定対象者の宛名番号ではありません。照会を受けた団体内統合宛名番号をご確認ください。")
DISCLOSURE_MUST_BE_NONDISCLOSURE = (
    "手動で提供する記録は「不開示」としてください。手動での提供では入力した開示・不開示の設定が"
    "不開示該当フラグより優先されるため、「開示」は選べません。")
INFO_CODE_FORMAT = "特定個人情報名コードは「TM」に続く14桁の数字で入力してください（例：TM00000000000003）。"

# What an approved decision tells the one who carries it out (DOMAIN §3 and §7 Point 5).
RECORD_NOTICE = {
    ProvisionDecisionKind.PROVIDE: (
        "提供の記録（情報提供等記録）は必ず「不開示」として入力してください。手動での提供では、この設定が"
        "不開示該当フラグより優先されます（「開示」のままでは開示されます）。"),
    ProvisionDecisionKind.WITHHOLD: (
        "提供しません。後に提供することになった場合も、提供の記録は必ず「不開示」として入力してください。"),
}
INQUIRER_NOTICE = {
    ProvisionDecisionKind.PROVIDE: "照会機関に、提供する情報は取扱いに特に注意を要するものであることを伝えてください。",
    ProvisionDecisionKind.WITHHOLD: (
        "照会機関に、この照会には自動で回答されないこと、当該の情報は取扱いに特に注意を要するものであることを"
        "伝えてください。"),
}


@dataclass(frozen=True)
class ProvisionRequest:
    atena_no: str
    inquirer: str
    info_code: str
    received_at: datetime.datetime
    decision: str
    note: str


def record_notice(decision: ProvisionDecision) -> str:
    if decision.status != ProvisionDecisionStatus.APPROVED:
        return ""
    return RECORD_NOTICE[ProvisionDecisionKind(decision.decision)]


def inquirer_notice(decision: ProvisionDecision) -> str:
    if decision.status != ProvisionDecisionStatus.APPROVED:
        return ""
    return INQUIRER_NOTICE[ProvisionDecisionKind(decision.decision)]


# --- input --------------------------------------------------------------------------------

def _text(value: object, field: str, label: str, limit: int, errors: dict[str, str], required: bool) -> str:
    if value is not None and not isinstance(value, str):
        errors[field] = f"{label}は文字列で入力してください。"
        return ""
    text = (value or "").strip()
    if required and not text:
        errors[field] = f"{label}を入力してください。"
    elif len(text) > limit:
        errors[field] = f"{label}は{limit}文字以内で入力してください。"
    else:
        try:
            refuse_control_characters(text, field, label)
        except DomainError as exc:
            errors[field] = exc.message
    return text


def _received_at(value: object, errors: dict[str, str], now: datetime.datetime) -> datetime.datetime | None:
    label = "照会の受付日時"
    if value in (None, ""):
        errors["received_at"] = f"{label}を入力してください。"
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(value).strip().replace("/", "-"))
        except ValueError:
            errors["received_at"] = f"{label}は YYYY-MM-DDTHH:MM の形式で入力してください。"
            return None
    if timezone.is_naive(moment):  # typed at the counter: Japan time
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > now:
        errors["received_at"] = f"{label}に未来の日時は入力できません。"
        return None
    if moment < EARLIEST_RECEIVED_AT:
        errors["received_at"] = f"{label}が古すぎます（情報連携の開始より前です）。"
        return None
    return moment.astimezone(datetime.UTC)  # stored and answered in UTC, as every other time


def parse_provision_request(payload: Any, *, now: datetime.datetime) -> ProvisionRequest:
    """Every field at fault, at once (ValidationFailed)."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"non_field_errors": "入力内容を確認してください。"})
    errors: dict[str, str] = {}
    atena_no = ""
    try:
        atena_no = normalize_atena_no(payload.get("atena_no"))
    except DomainError as exc:
        errors["atena_no"] = exc.message
    inquirer = _text(payload.get("inquirer"), "inquirer", "照会機関名", INQUIRER_MAX, errors, required=True)
    raw_code = payload.get("info_code")
    info_code = unicodedata.normalize("NFKC", raw_code).strip().upper() if isinstance(raw_code, str) else ""
    if not info_code:
        errors["info_code"] = "特定個人情報名コードを入力してください。"
    elif not _INFO_CODE.match(info_code):
        errors["info_code"] = INFO_CODE_FORMAT
    received_at = _received_at(payload.get("received_at"), errors, now)
    decision = payload.get("decision")
    if decision not in ProvisionDecisionKind.values:
        errors["decision"] = "判断は「提供する（provide）」か「提供しない（withhold）」を選んでください。"
    if payload.get("disclosure") != ProvisionDisclosure.NONDISCLOSURE:
        errors["disclosure"] = DISCLOSURE_MUST_BE_NONDISCLOSURE
    note = _text(payload.get("note"), "note", "判断の理由・確認した事項", NOTE_MAX, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    assert received_at is not None  # noqa: S101 - no error means it was parsed
    return ProvisionRequest(atena_no=atena_no, inquirer=inquirer, info_code=info_code, received_at=received_at,
                            decision=str(decision), note=note)


def under_no_auto_response(target: Target) -> bool:
    """Is the person under 自動応答不可 as far as the product knows: protected now and the
    active cases require the flag, or the flag is still wanted or still reflected at the
    intermediate server (a release not yet carried out there)."""
    if target.status in PROTECTING_STATUSES and NO_AUTO_RESPONSE in measures_for(target).victim_flags:
        return True
    return any(state.flag_kind == NO_AUTO_RESPONSE and (state.desired or state.reflected)
               for state in flag_states_for_unit(target.atena_no))


# --- writes -------------------------------------------------------------------------------

@audited_atomic
def provision_decision_request(*, actor: Staff, payload: Any) -> ProvisionDecision:
    """Record the contact point's decision (pending until its head approves)."""
    if not policy.allows(actor, Capability.PROVISION):
        audit_refusal(actor=actor, action=AuditAction.PROVISION_DECISION_REQUEST, detail={"reason": "capability"})
        raise Forbidden(policy.refusal_message(Capability.PROVISION))
    now = timezone.now()
    try:
        data = parse_provision_request(payload, now=now)
    except ValidationFailed as exc:
        audit_refusal(actor=actor, action=AuditAction.PROVISION_DECISION_REQUEST,
                      detail={"reason": "invalid", "fields": sorted(exc.errors)})
        raise
    target = Target.objects.select_for_update().filter(atena_no=data.atena_no).first()
    if target is None or not under_no_auto_response(target):
        # One answer for "never registered", "not a target any more" and "a target, but not
        # under 自動応答不可"; the audit keeps the typed number (a lookup, ADR 0036).
        audit_refusal(actor=actor, action=AuditAction.PROVISION_DECISION_REQUEST,
                      detail={"atena_no": data.atena_no, "found": False})
        raise ValidationFailed({"atena_no": NOT_UNDER_NO_AUTO_RESPONSE})
    department = actor.department
    if department is None:  # policy refused such an actor already; this keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.PROVISION))
    decision = ProvisionDecision.objects.create(
        target=target, department=department, inquirer=data.inquirer, info_code=data.info_code,
        received_at=data.received_at, decision=data.decision, disclosure=ProvisionDisclosure.NONDISCLOSURE,
        note=data.note, requested_by=actor, requested_at=now)
    audit_record(actor=actor, action=AuditAction.PROVISION_DECISION_REQUEST, target_id=target.pk,
                 detail={"decision_id": decision.pk, "atena_no": data.atena_no, "found": True,
                         "decision": data.decision})
    return decision


def _lock_for_decision(actor: Staff, decision_id: object, action: AuditAction) -> ProvisionDecision:
    """The decision (absent and hidden alike: 404), then who may decide it (403); both audited."""
    pk = object_id(decision_id)
    decision = (ProvisionDecision.objects.select_for_update().filter(policy.provision_decision_scope(actor), pk=pk)
                .first() if pk is not None else None)
    if decision is None:
        audit_refusal(actor=actor, action=action, detail={"decision_id": pk})
        raise NotFound()
    refusal = policy.provision_decision_refusal(actor, requested_by_id=decision.requested_by_id)
    error: DomainError | None = Forbidden(refusal) if refusal is not None else None
    if error is None and decision.status != ProvisionDecisionStatus.PENDING:
        error = DomainError("この判断は既に承認または却下されています。")
    if error is not None:
        audit_refusal(actor=actor, action=action, target_id=decision.target_id,
                      detail={"decision_id": decision.pk, "reason": error.message})
        raise error
    return decision


@audited_atomic
def provision_decision_approve(*, actor: Staff, decision_id: object) -> ProvisionDecision:
    decision = _lock_for_decision(actor, decision_id, AuditAction.PROVISION_DECISION_APPROVE)
    decision.status = ProvisionDecisionStatus.APPROVED
    decision.decided_by, decision.decided_at = actor, timezone.now()
    decision.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action=AuditAction.PROVISION_DECISION_APPROVE, target_id=decision.target_id,
                 detail={"decision_id": decision.pk, "decision": decision.decision})
    return decision


@audited_atomic
def provision_decision_reject(*, actor: Staff, decision_id: object, reason: object) -> ProvisionDecision:
    decision = _lock_for_decision(actor, decision_id, AuditAction.PROVISION_DECISION_REJECT)
    errors: dict[str, str] = {}
    text = _text(reason, "reason", "却下の理由", NOTE_MAX, errors, required=True)
    if errors:
        audit_refusal(actor=actor, action=AuditAction.PROVISION_DECISION_REJECT, target_id=decision.target_id,
                      detail={"decision_id": decision.pk, "reason": "invalid"})
        raise DomainError(errors["reason"], "reason")
    decision.status = ProvisionDecisionStatus.REJECTED
    decision.decided_by, decision.decided_at, decision.reject_reason = actor, timezone.now(), text
    decision.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
    audit_record(actor=actor, action=AuditAction.PROVISION_DECISION_REJECT, target_id=decision.target_id,
                 detail={"decision_id": decision.pk})
    return decision


# --- reads --------------------------------------------------------------------------------

def _with_people(queryset: QuerySet[ProvisionDecision]) -> QuerySet[ProvisionDecision]:
    return queryset.select_related("target", "department", "requested_by", "decided_by")


def provision_decisions_for(*, actor: Staff, target_id: object = None, via: str = "screen") -> list[ProvisionDecision]:
    """The decisions `actor` may see, pending first, then the newest. With `target_id`, one
    target's: for its owning department (another department's or an absent target: the same
    audited 404), and for the contact point and auditors, who see every decision."""
    if not policy.may_list_provision_decisions(actor):
        raise refuse(actor=actor, action=AuditAction.PROVISION_DECISION_LIST)
    queryset = ProvisionDecision.objects.filter(policy.provision_decision_scope(actor))
    if target_id is not None:
        pk = object_id(target_id)
        sees_all = policy.allows(actor, Capability.PROVISION) or policy.allows(actor, Capability.AUDIT)
        owned = pk is not None and Target.objects.filter(
            pk=pk, owning_department_id=getattr(actor, "department_id", None)).exists()
        if pk is None or not (sees_all or owned):
            raise refuse(actor=actor, action=AuditAction.PROVISION_DECISION_LIST, target_id=pk)
        queryset = queryset.filter(target_id=pk)
    pending_first = Case(When(status=ProvisionDecisionStatus.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    decisions = list(_with_people(queryset).order_by(pending_first, "-requested_at", "-id"))
    audit_record(actor=actor, action=AuditAction.PROVISION_DECISION_LIST, target_id=object_id(target_id),
                 detail={"via": via, "target_ids": sorted({d.target_id for d in decisions}),
                         "decision_ids": [d.pk for d in decisions]})
    return decisions


def pending_provision_decision_count(*, actor: Staff) -> int:
    """How many decisions await a head, for the home page: a number, naming no one."""
    return ProvisionDecision.objects.filter(policy.provision_decision_scope(actor),
                                            status=ProvisionDecisionStatus.PENDING).count()


def provision_decision_get(*, actor: Staff, decision_id: object, via: str = "screen",
                           action: AuditAction = AuditAction.PROVISION_DECISION_READ) -> ProvisionDecision:
    """One decision, for whoever may see it (else the audited 404). Records the read."""
    pk = object_id(decision_id)
    decision = (_with_people(ProvisionDecision.objects.filter(policy.provision_decision_scope(actor), pk=pk)).first()
                if pk is not None else None)
    if decision is None:
        raise refuse(actor=actor, action=action, detail={"decision_id": pk})
    audit_record(actor=actor, action=action, target_id=decision.target_id, detail={"decision_id": decision.pk,
                                                                                   "via": via})
    return decision


# --- 決裁票 ----------------------------------------------------------------------------------

_DECIDED_LABEL = {ProvisionDecisionStatus.APPROVED: "承認日", ProvisionDecisionStatus.REJECTED: "却下日"}
_DECIDER_LABEL = {ProvisionDecisionStatus.REJECTED: "却下者"}


@dataclass(frozen=True)
class ProvisionSlip:
    decision: ProvisionDecision
    title: str
    municipality: str
    department: str
    decided_label: str
    decider_label: str
    record_notice: str
    inquirer_notice: str
    reasons: list[tuple[str, str]]

    @property
    def file_stem(self) -> str:
        """The only name a saved copy gets (page title): ids, never a person (ADR 0028)."""
        return f"kessai-provision-{self.decision.pk}"


def provision_decision_slip(*, actor: Staff, decision_id: object) -> ProvisionSlip:
    """The printable 決裁票 of a decision (ADR 0028's conventions), audited as a read."""
    decision = provision_decision_get(actor=actor, decision_id=decision_id, action=AuditAction.PROVISION_DECISION_SLIP)
    status = ProvisionDecisionStatus(decision.status)
    reasons = [(label, text) for label, text in (("判断の理由・確認した事項", decision.note),
                                                 ("却下の理由", decision.reject_reason)) if text]
    # What the decision will require once approved, printed on a pending slip too (the head signs it).
    kind = ProvisionDecisionKind(decision.decision)
    return ProvisionSlip(
        decision=decision, title="自動応答不可の照会に対する手動提供の判断", municipality=settings.MUNICIPALITY_NAME,
        department=decision.department.name, decided_label=_DECIDED_LABEL.get(status, "承認日"),
        decider_label=_DECIDER_LABEL.get(status, "承認者"),
        record_notice=RECORD_NOTICE[kind], inquirer_notice=INQUIRER_NOTICE[kind], reasons=reasons)
