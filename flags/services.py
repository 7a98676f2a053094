"""The ChangeRequest state machine: open a request, decide it, close it.

Handed a target that victims.services has already found through policy and row-locked
(lock order everywhere: Target row, then ChangeRequest row, then FlagState rows); never
reads, scopes or locks targets itself. Only a pending request moves, and only once."""
import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from accounts.models import Department, Staff
from accounts.selectors import approver_routing
from core.errors import Conflict, DomainError

from .models import ChangeAction, ChangeRequest, ChangeStatus

_ONE_OPEN = "この対象者には処理中の申請があります。先に承認・却下してください。"


def change_request_open(*, target_id: int, department_id: int, action: ChangeAction, requested_by: Staff,
                        now: datetime.datetime, comment: str = "", release_reason: str = "",
                        release_case_ids: Iterable[int] = (), transfer_to_id: int | None = None) -> ChangeRequest:
    """A new pending request on a target the caller has locked (by ids: flags never imports
    victims). One open request per target at a time, so an approver always decides against
    the record as it stands. Decided by the requesting department's head, or, for a transfer,
    the receiving department's (ADR 0034); by the fallback when that one has no active
    approver (ADR 0035)."""
    if ChangeRequest.objects.filter(target_id=target_id, status=ChangeStatus.PENDING).exists():
        raise Conflict(_ONE_OPEN)
    deciding_department_id = deciding_department_for(transfer_to_id or department_id).pk
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                target_id=target_id, action=action, department_id=department_id, requested_by=requested_by,
                requested_at=now, release_reason=release_reason, comment=comment,
                deciding_department_id=deciding_department_id, transfer_to_id=transfer_to_id,
            )
    except IntegrityError:  # the partial unique constraint: a concurrent request won
        raise Conflict(_ONE_OPEN) from None
    case_ids = list(release_case_ids)
    if case_ids:
        change_request.release_cases.set(case_ids)
    return change_request


def deciding_department_for(department_id: int) -> Department:
    """Who decides what `department` opens: accounts.selectors.approver_routing, and the
    department itself when there is no one (the request waits, still protecting, for an
    approver of its own: ADR 0035)."""
    department = Department.objects.get(pk=department_id)
    return approver_routing(department) or department


def change_request_pending_set(*, target_id: int) -> ChangeRequest | None:
    return (ChangeRequest.objects.filter(target_id=target_id, action=ChangeAction.SET, status=ChangeStatus.PENDING)
            .first())


def change_request_lock(*, change_request_id: int) -> ChangeRequest:
    """The request row, locked; call after the target's row lock."""
    return ChangeRequest.objects.select_for_update().get(pk=change_request_id)


def change_request_ensure_pending(change_request: ChangeRequest) -> None:
    if change_request.status != ChangeStatus.PENDING:
        raise Conflict(f"この申請は既に「{change_request.get_status_display()}」です。")


def change_request_ask_withdrawal(*, change_request: ChangeRequest, asked_by: Staff, reason: str,
                                  now: datetime.datetime) -> ChangeRequest:
    """Record that `asked_by` asks to withdraw this pending registration; it stays pending
    (and protecting) until a second person completes the withdrawal (ADR 0016)."""
    change_request_ensure_pending(change_request)
    change_request.withdrawal_requested_by = asked_by
    change_request.withdrawal_requested_at = now
    change_request.withdrawal_reason = reason
    change_request.save(update_fields=["withdrawal_requested_by", "withdrawal_requested_at", "withdrawal_reason"])
    return change_request


def change_request_close(*, change_request: ChangeRequest, status: ChangeStatus, decider: Staff | None,
                         reason: str, now: datetime.datetime) -> ChangeRequest:
    """Move a pending request to approved, rejected or withdrawn. `decider` is the four-eyes
    decider (approve, reject, a registration's withdrawal); a withdrawn release request has
    none — who withdrew is in its audit event."""
    change_request_ensure_pending(change_request)
    if status == ChangeStatus.PENDING:
        raise DomainError("承認待ちに戻すことはできません。")
    change_request.status = status
    change_request.decided_by = decider
    change_request.decided_department_id = decider.department_id if decider is not None else None
    change_request.decided_at = now
    change_request.decision_reason = reason
    change_request.save()
    return change_request
