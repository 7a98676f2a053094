"""Every read of victim data goes through here, scoped by the acting user and audited.

A target the actor may not see and a target that does not exist take the same one query
(core.policy.target_scope applied to the lookup) and raise the same NotFound; both refusals
are audited, and the audit outlives a rolled-back service transaction (audit_refusal)."""
from typing import Any

from django.db.models import QuerySet

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal
from core import policy
from core.errors import NotFound
from core.policy import Capability
from flags.models import ChangeRequest

from .models import (
    PROTECTING_STATUSES,
    CaseAssessment,
    Notice,
    ProtectionPeriod,
    Registration,
    ReviewTask,
    ReviewTaskStatus,
    Target,
)

_BIGINT = 2 ** 63


def object_id(value: object) -> int | None:
    """The id as the database can hold it; anything else names no object (and must not reach
    the audit row's bigint column, where it would fail the request)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if -_BIGINT <= number < _BIGINT else None


def visible_targets(actor: Staff) -> QuerySet[Target]:
    """Targets whose full record the actor's department owns or was granted."""
    return Target.objects.filter(policy.target_scope(actor))


def refuse(*, actor: Staff, action: AuditAction, target_id: object = None,
           detail: dict[str, Any] | None = None) -> NotFound:
    """The one deny-then-audit: record the refused attempt (surviving a rollback) and give
    the NotFound to raise. Absent and hidden objects both come through here, with the id
    that was asked for (never resolved further: that would cost the hidden case a query)."""
    audit_refusal(actor=actor, action=action, target_id=object_id(target_id), detail=detail)
    return NotFound()


def _visible(actor: Staff, target_id: object, action: AuditAction, queryset: QuerySet[Target]) -> Target:
    pk = object_id(target_id)
    target = queryset.filter(policy.target_scope(actor), pk=pk).first() if pk is not None else None
    if target is None:
        raise refuse(actor=actor, action=action, target_id=pk)
    return target


def target_get_for_user(*, actor: Staff, target_id: object, via: str = "screen") -> Target:
    """The full record (facts, cases, notes). Records the read."""
    qs = Target.objects.select_related("owning_department").prefetch_related("cases")
    target = _visible(actor, target_id, AuditAction.TARGET_READ, qs)
    audit_record(actor=actor, action=AuditAction.TARGET_READ, target_id=target.pk, detail={"via": via})
    return target


def target_lock_for_user(*, actor: Staff, target_id: object) -> Target:
    """Row-locked target for a service that changes it; the service audits its change."""
    return _visible(actor, target_id, AuditAction.TARGET_LOCK, Target.objects.select_for_update())


def _target_id_of(model: type[ChangeRequest] | type[CaseAssessment], *, actor: Staff, object_pk: object,
                  action: AuditAction, key: str) -> int:
    """The target of a row (a change request, a case) the actor may see, in one query
    whether the row is absent or belongs to a target of another department (refused alike)."""
    pk = object_id(object_pk)
    target_id = (model.objects.filter(pk=pk, target__in=visible_targets(actor))
                 .values_list("target_id", flat=True).first() if pk is not None else None)
    if target_id is None:
        raise refuse(actor=actor, action=action, detail={key: pk})
    return target_id


def target_id_of_change_request(*, actor: Staff, change_request_id: object, action: AuditAction) -> int:
    return _target_id_of(ChangeRequest, actor=actor, object_pk=change_request_id, action=action,
                         key="change_request_id")


def target_id_of_case(*, actor: Staff, case_id: object, action: AuditAction) -> int:
    return _target_id_of(CaseAssessment, actor=actor, object_pk=case_id, action=action, key="case_id")


def target_search_by_atena(*, actor: Staff, atena_no: str) -> Target | None:
    """Exact search among the targets the actor may see; absent and hidden look alike."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = visible_targets(actor).filter(atena_no=atena_no).first()
    audit_record(actor=actor, action=AuditAction.TARGET_SEARCH, target_id=target.pk if target else None,
                 detail={"atena_no": atena_no, "found": target is not None})
    return target


def target_shared_list(*, actor: Staff) -> list[dict[str, Any]]:
    """The minimal list every linkage department may hold: 氏名, atena_no, "is a target"."""
    policy.require(actor, Capability.CHECK)
    rows = list(
        Target.objects.filter(status__in=PROTECTING_STATUSES).order_by("atena_no").values("id", "atena_no", "name")
    )
    audit_record(actor=actor, action=AuditAction.TARGET_SHARED_LIST,
                 detail={"count": len(rows), "target_ids": [r["id"] for r in rows]})
    return [{"atena_no": r["atena_no"], "name": r["name"], "is_target": True} for r in rows]


def target_department_list(*, actor: Staff) -> list[Target]:
    """The targets the actor's department holds (owned or granted), newest first: the
    department's own list. Records which people it showed."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    rows = list(visible_targets(actor).order_by("-created_at", "-id"))
    audit_record(actor=actor, action=AuditAction.TARGET_DEPARTMENT_LIST,
                 detail={"count": len(rows), "target_ids": [t.pk for t in rows]})
    return rows


def target_granted_departments(target: Target) -> list[Department]:
    """The departments other than the owner whose group holds the view permission on
    `target` (the grants). Department names only: the caller has read the target already."""
    return list(
        Department.objects.filter(
            group__targetgroupobjectpermission__content_object=target,
            group__targetgroupobjectpermission__permission__codename=policy.VIEW_TARGET,
        ).exclude(pk=target.owning_department_id).select_related("group").distinct().order_by("code")
    )


def protection_periods(target: Target) -> list[ProtectionPeriod]:
    """Every period of `target`, earliest first, with its cases (shown to those who read it)."""
    return list(ProtectionPeriod.objects.filter(target=target).prefetch_related("cases").order_by("number"))


def registration_get_for_user(*, actor: Staff, registration_id: object, via: str = "screen") -> Registration:
    """A receipt of the actor's own department (anything else: the same 404). It shows what
    was submitted; the event names the person it concerns, for the auditors (ADR 0015)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    pk = object_id(registration_id)
    receipt = (Registration.objects.select_related("review_task", "submitted_by")
               .filter(pk=pk, department=actor.department_id).first() if pk is not None else None)
    if receipt is None:
        raise refuse(actor=actor, action=AuditAction.REGISTRATION_READ, detail={"registration_id": pk})
    audit_record(actor=actor, action=AuditAction.REGISTRATION_READ, target_id=receipt.concerns_target_id,
                 detail={"registration_id": receipt.pk, "via": via})
    return receipt


def target_id_for_auditor(*, actor: Staff, atena_no: str) -> int | None:
    """Auditors look a person up by atena_no to see who read them; they get an id, never the record."""
    policy.require(actor, Capability.AUDIT)
    return Target.objects.filter(atena_no=atena_no).values_list("id", flat=True).first()


def notices_for(*, actor: Staff) -> list[Notice]:
    """The 解除 notices of the actor's linkage department (newest first). Each shows a
    person's atena_no, so showing any of them is recorded with their target ids."""
    if not policy.allows(actor, Capability.CHECK):
        return []
    notices = list(Notice.objects.filter(department=actor.department_id)
                   .select_related("change_request")[:50])
    if notices:
        audit_record(actor=actor, action=AuditAction.NOTICE_LIST,
                     detail={"count": len(notices),
                             "target_ids": sorted({n.change_request.target_id for n in notices})})
    return notices


def review_tasks_for(*, actor: Staff, include_done: bool = False) -> QuerySet[ReviewTask]:
    """The actor's department's review tasks (ids and kinds only; opening the target is audited there)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    qs = ReviewTask.objects.filter(department=actor.department_id).select_related("created_by__department")
    if not include_done:
        qs = qs.filter(status=ReviewTaskStatus.OPEN)
    audit_record(actor=actor, action=AuditAction.REVIEW_TASK_LIST, detail={"include_done": include_done})
    return qs.order_by("created_at", "id")
