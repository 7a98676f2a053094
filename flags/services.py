"""Change requests (set / release), four-eyes approval, and the desired flag state.

Lock order everywhere: Target row, then ChangeRequest row, then FlagState rows.
Two approvers racing on one request therefore serialise on the target, and the
second sees the request already decided."""
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import require_role, require_victim_staff
from accounts.models import Role
from audit.services import audit_record
from config.errors import Conflict, DomainError, Forbidden, NotFound
from intermediary.dispatch import nudge_delivery
from intermediary.models import Operation, OperationAction
from victims.models import CaseAssessment, Target, TargetStatus
from victims.selectors import target_lock_for_user

from . import rules
from .models import ChangeAction, ChangeRequest, ChangeStatus, FlagState, Notice, UnitType


def measures_for(target: Target) -> rules.Measures:
    return rules.required_measures(target.cases.filter(active=True), settings.FLAG_POLICY)


def _lock_request(actor, change_request_id) -> tuple[Target, ChangeRequest]:
    target_id = ChangeRequest.objects.filter(pk=change_request_id).values_list("target_id", flat=True).first()
    if target_id is None:
        raise NotFound()
    target = target_lock_for_user(actor=actor, target_id=target_id)
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request_id)
    return target, change_request


def _ensure_pending(change_request: ChangeRequest) -> None:
    if change_request.status != ChangeStatus.PENDING:
        raise Conflict(f"この申請は既に「{change_request.get_status_display()}」です。")


def _ensure_decider(actor, target: Target, change_request: ChangeRequest) -> None:
    require_role(actor, Role.APPROVER, message="承認・却下は所属長（承認者）のみ行えます。")
    if actor.department_id != target.owning_department_id:
        raise Forbidden("承認・却下は対象者を登録した所属の所属長のみ行えます。")
    if actor.pk == change_request.requested_by_id:
        raise Forbidden("申請者本人は承認・却下できません（二者確認）。")


def _apply_desired(*, target: Target, measures: rules.Measures, change_request: ChangeRequest, now) -> list[Operation]:
    """Move the desired FlagState of the victim's atena_no to `measures`; one outbox
    operation per flag whose desired value changes."""
    operations = []
    for kind in rules.FLAG_KINDS:
        wanted = kind in measures.victim_flags
        state, _ = FlagState.objects.select_for_update().get_or_create(
            unit_type=UnitType.ATENA, unit_key=target.atena_no, flag_kind=kind,
        )
        if state.desired == wanted and state.desired_at is not None:
            continue
        if not wanted and state.desired_at is None:
            continue  # never set, nothing to release
        state.desired, state.desired_at = wanted, now
        state.save(update_fields=["desired", "desired_at"])
        operations.append(Operation(
            change_request=change_request, unit_type=UnitType.ATENA, unit_key=target.atena_no, flag_kind=kind,
            action=OperationAction.SET if wanted else OperationAction.RELEASE,
        ))
    Operation.objects.bulk_create(operations)
    return operations


@transaction.atomic
def change_request_approve(*, actor, change_request_id, comment: str = "") -> ChangeRequest:
    target, change_request = _lock_request(actor, change_request_id)
    _ensure_decider(actor, target, change_request)
    _ensure_pending(change_request)
    now = timezone.now()
    if change_request.action == ChangeAction.RELEASE:
        _release_cases(target, change_request, now)
    else:
        target.status = TargetStatus.ACTIVE
    target.save(update_fields=["status", "updated_at"])
    measures = measures_for(target)
    operations = _apply_desired(target=target, measures=measures, change_request=change_request, now=now)
    change_request.status = ChangeStatus.APPROVED
    change_request.decided_by, change_request.decided_department = actor, actor.department
    change_request.decided_at, change_request.decision_reason = now, comment
    change_request.save()
    if target.status == TargetStatus.RELEASED:
        _notify_linkage_departments(target, change_request, now)
    audit_record(actor=actor, action=f"change_request.approve_{change_request.action}", target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "operation_ids": [str(o.id) for o in operations]})
    if operations:
        # The outbox rows are the truth; after commit this only asks the worker to look now.
        op_ids = [str(o.id) for o in operations]
        transaction.on_commit(lambda: nudge_delivery(op_ids))
    return change_request


def _release_cases(target: Target, change_request: ChangeRequest, now) -> None:
    """Re-check the release against the live record (never an old list), then end the cases."""
    cases = list(CaseAssessment.objects.select_for_update().filter(
        pk__in=change_request.release_cases.values("pk"), target=target))
    refusal = rules.release_refusal(reason=change_request.release_reason, cases=cases,
                                    jumin_support_active=target.jumin_support_active)
    if refusal:
        raise DomainError(f"現在の登録内容では解除できません：{refusal}")
    CaseAssessment.objects.filter(pk__in=[c.pk for c in cases]).update(active=False, ended_at=now)
    if not target.cases.filter(active=True).exists():
        target.status = TargetStatus.RELEASED


@transaction.atomic
def change_request_reject(*, actor, change_request_id, reason: str) -> ChangeRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("却下の理由を入力してください。", "reason")
    target, change_request = _lock_request(actor, change_request_id)
    _ensure_decider(actor, target, change_request)
    _ensure_pending(change_request)
    _close(change_request, actor, ChangeStatus.REJECTED, reason)
    if change_request.action == ChangeAction.SET and target.status == TargetStatus.PENDING:
        target.status = TargetStatus.REJECTED
        target.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=f"change_request.reject_{change_request.action}", target_id=target.pk,
                 detail={"change_request_id": change_request.pk})
    return change_request


@transaction.atomic
def change_request_withdraw(*, actor, change_request_id, reason: str = "") -> ChangeRequest:
    require_victim_staff(actor)
    target, change_request = _lock_request(actor, change_request_id)
    _ensure_pending(change_request)
    # Who withdrew is in the audit event; decided_by stays empty (it means a four-eyes decision).
    _close(change_request, None, ChangeStatus.WITHDRAWN, reason)
    if change_request.action == ChangeAction.SET and target.status == TargetStatus.PENDING:
        target.status = TargetStatus.WITHDRAWN
        target.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=f"change_request.withdraw_{change_request.action}", target_id=target.pk,
                 detail={"change_request_id": change_request.pk})
    return change_request


def _close(change_request: ChangeRequest, decider, status: str, reason: str) -> None:
    change_request.status = status
    change_request.decided_by = decider
    change_request.decided_department = decider.department if decider else None
    change_request.decided_at = timezone.now()
    change_request.decision_reason = reason
    change_request.save()


@transaction.atomic
def release_request_create(*, actor, target_id, reason: str, case_ids: list[int] | None, comment: str = "") -> ChangeRequest:
    """Request release of some (or, when case_ids is empty, all) active cases."""
    require_victim_staff(actor)
    target = target_lock_for_user(actor=actor, target_id=target_id)
    if target.status != TargetStatus.ACTIVE:
        raise DomainError("設定中（承認済み）の対象者のみ解除を申請できます。")
    if ChangeRequest.objects.filter(target=target, status=ChangeStatus.PENDING).exists():
        raise Conflict("この対象者には処理中の申請があります。先に承認・却下してください。")
    active = target.cases.filter(active=True)
    cases = list(active.filter(pk__in=case_ids)) if case_ids else list(active)
    if case_ids and len(cases) != len(set(case_ids)):
        raise DomainError("解除する類型の指定が正しくありません。", "cases")
    refusal = rules.release_refusal(reason=reason, cases=cases, jumin_support_active=target.jumin_support_active)
    if refusal:
        raise DomainError(refusal, "reason")
    change_request = ChangeRequest.objects.create(
        target=target, action=ChangeAction.RELEASE, department=target.owning_department, requested_by=actor,
        requested_at=timezone.now(), release_reason=reason, comment=comment,
    )
    change_request.release_cases.set(cases)
    audit_record(actor=actor, action="change_request.request_release", target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "case_ids": [c.pk for c in cases], "reason": reason})
    return change_request


def _notify_linkage_departments(target: Target, change_request: ChangeRequest, now) -> None:
    """Every department holding the shared list is told that the protection changed."""
    from accounts.models import Department

    Notice.objects.bulk_create([
        Notice(department=d, atena_no=target.atena_no, change_request=change_request, created_at=now)
        for d in Department.objects.filter(does_linkage=True)
    ])
