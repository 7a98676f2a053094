"""Every read of victim data goes through here, scoped by the acting user and audited.

A target the actor may not see and a target that does not exist take the same one query
(core.policy.target_scope applied to the lookup) and raise the same NotFound; both refusals
are audited, and the audit outlives a rolled-back service transaction (audit_refusal)."""
import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal
from core import policy
from core.errors import NotFound
from core.newest import Newest, newest
from core.policy import Capability
from flags.models import ChangeRequest

from .models import (
    PROTECTING_STATUSES,
    Amendment,
    CaseAssessment,
    Notice,
    ProtectionPeriod,
    Registration,
    ReviewTask,
    ReviewTaskStatus,
    Target,
)
from .numbers import number_q

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


def _decided_by(actor: Staff) -> Q:
    """Targets of the pending requests the actor decides (policy.decision_scope): their head
    reads the record to decide, before the department owns or was granted it (ADR 0033)."""
    return Q(pk__in=ChangeRequest.objects.filter(policy.decision_scope(actor)).values("target_id"))


def _visible(actor: Staff, target_id: object, action: AuditAction, queryset: QuerySet[Target],
             *, deciding: bool = False) -> Target:
    pk = object_id(target_id)
    scope = policy.target_scope(actor)
    if deciding:  # subqueries, so that neither side's join repeats a row
        scope = Q(pk__in=visible_targets(actor).values("pk")) | _decided_by(actor)
    target = queryset.filter(scope, pk=pk).first() if pk is not None else None
    if target is None:
        raise refuse(actor=actor, action=action, target_id=pk)
    return target


def target_get_for_user(*, actor: Staff, target_id: object, via: str = "screen") -> Target:
    """The full record (facts, cases, notes), for the departments that own or were granted it
    and the head deciding a pending request on it. Records the read."""
    qs = Target.objects.select_related("owning_department").prefetch_related("cases")
    target = _visible(actor, target_id, AuditAction.TARGET_READ, qs, deciding=True)
    audit_record(actor=actor, action=AuditAction.TARGET_READ, target_id=target.pk, detail={"via": via})
    return target


def target_lock_for_user(*, actor: Staff, target_id: object) -> Target:
    """Row-locked target for a service that changes it; the service audits its change."""
    return _visible(actor, target_id, AuditAction.TARGET_LOCK, Target.objects.select_for_update())


def _target_id_of(model: type[ChangeRequest] | type[CaseAssessment], *, actor: Staff, object_pk: object,
                  action: AuditAction, key: str, also: Q | None = None) -> int:
    """The target of a row (a change request, a case) the actor may see, in one query
    whether the row is absent or belongs to a target of another department (refused alike)."""
    pk = object_id(object_pk)
    scope = Q(target__in=visible_targets(actor))
    if also is not None:
        scope |= also
    target_id = (model.objects.filter(scope, pk=pk)
                 .values_list("target_id", flat=True).first() if pk is not None else None)
    if target_id is None:
        raise refuse(actor=actor, action=action, detail={key: pk})
    return target_id


def target_id_of_change_request(*, actor: Staff, change_request_id: object, action: AuditAction) -> int:
    """The target of a request on a target the actor sees, or of a pending request the
    actor decides (policy.decision_scope)."""
    return _target_id_of(ChangeRequest, actor=actor, object_pk=change_request_id, action=action,
                         key="change_request_id", also=policy.decision_scope(actor))


def target_lock_for_decision(*, actor: Staff, change_request_id: object, action: AuditAction) -> Target:
    """The row-locked target of a request the actor may see or decide, for approve, reject and
    withdraw: found through target_id_of_change_request, then locked by its id."""
    target_id = target_id_of_change_request(actor=actor, change_request_id=change_request_id, action=action)
    return Target.objects.select_for_update().get(pk=target_id)


def target_id_of_case(*, actor: Staff, case_id: object, action: AuditAction) -> int:
    return _target_id_of(CaseAssessment, actor=actor, object_pk=case_id, action=action, key="case_id")


def target_search_by_atena(*, actor: Staff, atena_no: str) -> Target | None:
    """Exact search among the targets the actor may see, by either number (ADR 0046); absent
    and hidden look alike. The event names the target, never which of its numbers matched."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = visible_targets(actor).filter(number_q(atena_no)).first()
    audit_record(actor=actor, action=AuditAction.TARGET_SEARCH, target_id=target.pk if target else None,
                 detail={"atena_no": atena_no, "found": target is not None})
    return target


SHARED_LIST_PAGE_SIZE = 100


def target_shared_list(*, actor: Staff, page: int | str | None = 1, atena_no: str = "",
                       kana: str = "") -> Page[dict[str, Any]]:
    """The minimal list every linkage department may hold: 氏名, atena_no, "is a target", a page
    at a time (100,000 targets are 6 MB of HTML), optionally narrowed to one number (either,
    ADR 0046) or a kana prefix. The event names the people of the page shown, never what was
    typed (issue 14; who-has-seen finds them, ADR 0069)."""
    policy.require(actor, Capability.CHECK)
    qs = Target.objects.filter(status__in=PROTECTING_STATUSES)
    if atena_no:
        qs = qs.filter(number_q(atena_no))
    if kana:
        qs = qs.filter(name_kana__startswith=kana)
    values: Any = qs.order_by("atena_no", "id").values("id", "atena_no", "name")
    paginator: Paginator[dict[str, Any]] = Paginator(values, SHARED_LIST_PAGE_SIZE)
    shown = paginator.get_page(page)
    rows = list(shown.object_list)
    searched = [k for k, v in (("atena_no", atena_no), ("kana", kana)) if v]
    audit_record(actor=actor, action=AuditAction.TARGET_SHARED_LIST,
                 detail={"count": len(rows), "total": shown.paginator.count, "page": shown.number,
                         "searched_by": searched, "target_ids": [r["id"] for r in rows]})
    listed: list[dict[str, Any]] = [{"atena_no": r["atena_no"], "name": r["name"], "is_target": True} for r in rows]
    return Page(listed, shown.number, shown.paginator)


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
    return Target.objects.filter(number_q(atena_no)).values_list("id", flat=True).first()


# --- notices (ADR 0027) -----------------------------------------------------------------

HOME_UNACKNOWLEDGED_MAX = 100  # the home page shows this many open notices (the API pages through all)
HOME_ACKNOWLEDGED_MAX = 10
NOTICE_PAGE_SIZE = 50


def notice_overdue_since() -> datetime.datetime:
    """A notice sent before this moment and still unacknowledged is overdue (NOTICE_ACK_DAYS)."""
    return timezone.now() - datetime.timedelta(days=settings.NOTICE_ACK_DAYS)


def _mark_overdue(notices: list[Notice]) -> list[Notice]:
    since = notice_overdue_since()
    for n in notices:
        n.overdue = n.acknowledged_at is None and n.created_at <= since  # type: ignore[attr-defined]
    return notices


def _department_notices(actor: Staff) -> QuerySet[Notice]:
    return Notice.objects.filter(department=actor.department_id).select_related("change_request", "acknowledged_by")


def _shown(actor: Staff, notices: list[Notice], via: str) -> list[Notice]:
    """Each notice shows a person's atena_no and name: record the people shown, and mark the overdue."""
    _mark_overdue(notices)
    if notices:
        audit_record(actor=actor, action=AuditAction.NOTICE_LIST,
                     detail={"count": len(notices), "via": via,
                             "target_ids": sorted({n.change_request.target_id for n in notices})})
    return notices


def notices_for(*, actor: Staff) -> dict[str, list[Notice]]:
    """The home page of a linkage department: its open notices (newest first), and the last
    few it acknowledged, shown apart. Anyone else has none."""
    if not policy.allows(actor, Capability.CHECK):
        return {"open": [], "acknowledged": []}
    qs = _department_notices(actor)
    unacknowledged = list(qs.filter(acknowledged_at__isnull=True)[:HOME_UNACKNOWLEDGED_MAX])
    acknowledged = list(qs.filter(acknowledged_at__isnull=False)[:HOME_ACKNOWLEDGED_MAX])
    _shown(actor, unacknowledged + acknowledged, "screen")
    return {"open": unacknowledged, "acknowledged": acknowledged}


def notices_page(*, actor: Staff, page: int) -> tuple[list[Notice], int]:
    """One page (NOTICE_PAGE_SIZE, newest first) of the actor's department's notices, and how many there are."""
    policy.require(actor, Capability.CHECK)
    qs = _department_notices(actor)
    start = (page - 1) * NOTICE_PAGE_SIZE
    return _shown(actor, list(qs[start:start + NOTICE_PAGE_SIZE]), "api"), qs.count()


def overdue_notice_count(*, actor: Staff) -> int:
    """How many of the department's notices are overdue (a count: no person shown)."""
    if not policy.allows(actor, Capability.CHECK):
        return 0
    return Notice.objects.filter(department=actor.department_id, acknowledged_at__isnull=True,
                                 created_at__lte=notice_overdue_since()).count()


def _overdue() -> QuerySet[Notice]:
    return Notice.objects.filter(acknowledged_at__isnull=True, created_at__lte=notice_overdue_since())


def overdue_notice_total(*, actor: Staff) -> int:
    """The auditors' home page alert: overdue notices of every department (a count)."""
    policy.require(actor, Capability.AUDIT)
    return _overdue().count()


def notices_overdue_for_auditor(*, actor: Staff, limit: int = 500) -> list[Notice]:
    """Notices not acknowledged within NOTICE_ACK_DAYS, oldest first: which department, which
    target (by id, as the audit log names people), what kind and since when. No name, no number."""
    policy.require(actor, Capability.AUDIT)
    rows = list(_overdue().select_related("department", "change_request").order_by("created_at", "id")[:limit])
    audit_record(actor=actor, action=AuditAction.NOTICE_OVERDUE_VIEW,
                 detail={"count": len(rows), "target_ids": sorted({n.change_request.target_id for n in rows})})
    return rows


def notice_acknowledgements_for_target(*, actor: Staff, target: Target, limit: int | None = None
                                       ) -> Newest[Notice]:
    """For the target's page: the newest `limit` notices sent about the person (None: every
    one), which department each went to and when that department acknowledged it — to the
    owning department only (the caller has already read, and audited, the target itself)."""
    if not policy.sees_notice_acknowledgements(actor, owning_department_id=target.owning_department_id):
        return Newest([], 0)
    shown = newest(Notice.objects.filter(change_request__target=target)
                   .select_related("department", "acknowledged_by").order_by("-created_at", "department__code"), limit)
    return Newest(_mark_overdue(shown.rows), shown.total)


def review_tasks_for(*, actor: Staff, include_done: bool = False) -> QuerySet[ReviewTask]:
    """The actor's department's review tasks (ids and kinds only; opening the target is audited there)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    qs = ReviewTask.objects.filter(department=actor.department_id).select_related("created_by__department")
    if not include_done:
        qs = qs.filter(status=ReviewTaskStatus.OPEN)
    audit_record(actor=actor, action=AuditAction.REVIEW_TASK_LIST, detail={"include_done": include_done})
    return qs.order_by("created_at", "id")


def amendments_for_target(*, actor: Staff, target: Target, via: str = "screen", limit: int | None = None
                          ) -> Newest[Amendment]:
    """A target's amendments, newest first (the newest `limit`; None: every one), with what each
    asked for and (approved) its before/after values: for the owning department only (ADR
    0032); anyone else gets none. Showing them is recorded as a read of the person, naming the
    amendments shown."""
    if not policy.sees_amendment_history(actor, owning_department_id=target.owning_department_id):
        return Newest([], 0)
    shown = newest(Amendment.objects.filter(target=target).order_by("-id")
                   .select_related("target", "change_request__requested_by", "change_request__decided_by")
                   .prefetch_related("added_cases"), limit)
    if shown.rows:
        audit_record(actor=actor, action=AuditAction.AMENDMENT_HISTORY_READ, target_id=target.pk,
                     detail={"amendment_ids": [a.pk for a in shown.rows], "total": shown.total, "via": via})
    return shown


def amendment_history_for_user(*, actor: Staff, target_id: object, via: str = "api") -> list[Amendment]:
    """The amendment history of one target by id: the owning department's (ADR 0032). A
    granted department, another one and a missing target get the same NotFound, audited."""
    target = _visible(actor, target_id, AuditAction.AMENDMENT_HISTORY_READ, Target.objects.all())
    if not policy.sees_amendment_history(actor, owning_department_id=target.owning_department_id):
        raise refuse(actor=actor, action=AuditAction.AMENDMENT_HISTORY_READ, target_id=target.pk)
    return amendments_for_target(actor=actor, target=target, via=via).rows
