"""Transfer of a target's ownership to another department (ADR 0034).

The owning department (its staff or its head) asks; a head of the receiving department
decides (four eyes across two departments: the request's deciding department is the
receiver, or the fallback when it has no active approver, ADR 0035). Approving it is
`transfer_apply`, called from victims.services.change_request_approve inside its lock: the
owner changes and the old owner keeps a grant, so the case is not lost to the department
that worked it. Measures do not change, so nothing is sent to the intermediate server."""
import datetime

from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal, audited_atomic
from core import policy
from core.errors import DomainError, Forbidden
from core.policy import Capability
from flags import services as change_requests
from flags.models import ChangeAction, ChangeRequest

from .models import TARGET_PERMS, GrantKind, GrantRecord, Target, TargetStatus
from .selectors import target_lock_for_user

KEPT_ACCESS_REASON = "所管の移管により、移管前の所管として引き続き閲覧します。"


@audited_atomic
def transfer_request_create(*, actor: Staff, target_id: int, department_code: str, reason: str) -> ChangeRequest:
    """A pending transfer of `target_id` to the department `department_code`. The target
    first (hidden and absent: the same 404), then who and where to (policy.transfer_refusal),
    each refusal audited and surviving the rollback (ADR 0014)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = target_lock_for_user(actor=actor, target_id=target_id)
    code = str(department_code or "").strip()[:20]
    department = Department.objects.filter(code=code).first() if code else None

    def refused(why: str, error: DomainError) -> DomainError:
        audit_refusal(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_TRANSFER, target_id=target.pk,
                      detail={"department": code, "reason": why})
        return error

    refusal = policy.transfer_refusal(actor, target, department)
    if refusal or department is None:  # transfer_refusal refuses a missing department
        if not policy.owns(actor, owning_department_id=target.owning_department_id):
            raise refused("not_owner", Forbidden(refusal or ""))
        raise refused("department", DomainError(refusal or "", "department"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("移管の理由を入力してください。", "reason")
    if target.status != TargetStatus.ACTIVE:
        raise refused("not_active", DomainError("設定中（承認済み）の対象者のみ所管を移管できます。"))
    change_request = change_requests.change_request_open(
        target_id=target.pk, department_id=target.owning_department_id, action=ChangeAction.TRANSFER,
        requested_by=actor, now=timezone.now(), comment=reason, transfer_to_id=department.pk,
    )
    audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_REQUEST_TRANSFER, target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "department": department.code,
                         "deciding_department_id": change_request.deciding_department_id})
    return change_request


def transfer_apply(*, actor: Staff, target: Target, change_request: ChangeRequest, now: datetime.datetime
                   ) -> GrantRecord:
    """The approved transfer (the caller holds the target's and the request's locks): the
    receiving department owns the target; the old owner's group keeps its object permissions,
    recorded as a grant by the approving head (it may revoke it later like any grant)."""
    receiver = change_request.transfer_to
    if receiver is None:  # the changerequest_transfer_names_receiver constraint keeps this from happening
        raise DomainError("移管先の所属がありません。")
    old_owner = target.owning_department
    for perm in TARGET_PERMS:
        assign_perm(perm, receiver.group, target)
    target.owning_department = receiver
    target.save(update_fields=["owning_department", "updated_at"])
    return GrantRecord.objects.create(target=target, department=old_owner, kind=GrantKind.GRANTED, by=actor,
                                      by_department=receiver, at=now, reason=KEPT_ACCESS_REASON,
                                      change_request=change_request)

