"""Reminders of a department, computed from the live record every time (ADR 0026).

Never a stored list: a confirmed procedure, an extended 住基DV等支援措置, a corrected birth
date or a decided request changes the answer at once. `ReminderRecord` rows only remember
when the daily job first saw an occurrence due and when it alerted the approvers of it.

Kinds and their due dates (Japan time, dates only):
- jumin_support_expiry: REMINDER_JUMIN_SUPPORT_LEAD_MONTHS before the 支援措置's end date
  (the extension can be applied for from then on, DOMAIN.md §7), while it is active.
- majority: a ②-II case whose legal representative is a parent, on the 18th birthday
  (flags.rules.majority_date, the same rule that refuses a parent for an adult at intake).
- procedure_followup: an approved target's ②-I case whose procedures are not all confirmed
  (flags.rules.procedures_complete): every REMINDER_PROCEDURE_FOLLOWUP_DAYS after the later
  of the last set approval and the case's creation; the occurrence listed is the latest one
  on or before the day asked for.
- approval_overdue (approvers only): a pending request of the department, on the day it is
  REMINDER_APPROVAL_OVERDUE_DAYS old.
- review_task: open review tasks of the department (住基 and duplicate registrations), one
  per person, due on the day the oldest was raised.
- onward_followup: a 転出 設定依頼 (ADR 0040) the receiving municipality has not confirmed,
  REMINDER_ONWARD_FOLLOWUP_DAYS after it was issued.
- notice_unacknowledged (the recipient department's, not the owner's): notices about a
  person left unacknowledged, one per person, NOTICE_ACK_DAYS after the oldest was sent
  (ADR 0027's overdue notice). Its target id names no one the recipient can open: the
  home page points at the notices themselves.
"""
import datetime
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TypeVar

from django.conf import settings
from django.db.models import Min, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import Forbidden
from core.policy import Capability
from flags import rules
from flags.models import ChangeAction, ChangeRequest, ChangeStatus

from .models import (
    PROTECTING_STATUSES,
    CaseAssessment,
    CaseType,
    LegalRepresentative,
    Notice,
    OnwardRequest,
    ReminderKind,
    ReminderRecord,
    ReviewTask,
    ReviewTaskStatus,
    Target,
    TargetStatus,
)

Key = tuple[str, int, int | None, datetime.date]
M = TypeVar("M", bound=Model)
JOB = "reminder-job"  # the daily job's name in the audit log (it has no staff account)


@dataclass(frozen=True)
class Reminder:
    kind: str
    target_id: int
    due_on: datetime.date
    case_id: int | None = None

    @property
    def key(self) -> Key:
        return (self.kind, self.target_id, self.case_id, self.due_on)

    @property
    def label(self) -> str:
        return ReminderKind(self.kind).label


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier, or that month's last day when it has none (31 March →
    28/29 February): the earlier date, so the reminder never comes late."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for day_of_month in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month + 1, day_of_month)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - every month has a 28th


def jumin_support_due(end: datetime.date) -> datetime.date:
    return months_before(end, settings.REMINDER_JUMIN_SUPPORT_LEAD_MONTHS)


def followup_due(anchor: datetime.date, until: datetime.date) -> datetime.date | None:
    """The latest of anchor + k·N days (k ≥ 1) on or before `until`, or None before the first."""
    every = settings.REMINDER_PROCEDURE_FOLLOWUP_DAYS
    occurrences = (until - anchor).days // every
    return anchor + datetime.timedelta(days=every * occurrences) if occurrences >= 1 else None


def _local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


# The fields flags.rules.procedures_complete reads, by case type (from its one table).
_PROCEDURE_FIELDS: dict[str, list[str]] = defaultdict(list)
for _procedure in rules.PROCEDURES.values():
    _PROCEDURE_FIELDS[_procedure.case_type] += [f for f in (_procedure.applies_if, _procedure.date_field) if f]


def _procedure_open(case_type: str) -> Q:
    """The cases of `case_type` with a procedure that applies and is not confirmed: the negation
    of flags.rules.procedures_complete, from the same table, so that the database leaves out the
    cases whose procedures are all confirmed (most of a large department's)."""
    return reduce(or_, (Q(**{f"{p.date_field}__isnull": True}, **({p.applies_if: True} if p.applies_if else {}))
                        for p in rules.PROCEDURES.values() if p.case_type == case_type))


def department_reminders(department_id: int, *, until: datetime.date, for_approvers: bool,
                         target_ids: Collection[int] | None = None) -> list[Reminder]:
    """Every reminder of the department due on or before `until`, oldest first. The
    department's own targets only: the owner decides releases and extensions. `target_ids`:
    those of these people only (a page of the worklist), the same reminders as the full list
    has for them, read by their ids: computing all of a large department's (50,000 people:
    1.3 s) to show fifty rows' is what made the worklist slow (issue 14)."""
    found: list[Reminder] = []
    owned = Target.objects.filter(owning_department_id=department_id)
    if target_ids is not None:
        owned = owned.filter(pk__in=target_ids)

    for target_id, end in owned.filter(jumin_support_active=True, jumin_support_end__isnull=False).values_list(
            "id", "jumin_support_end"):
        if end is not None:  # filtered above; this keeps the type honest
            found.append(Reminder(ReminderKind.JUMIN_SUPPORT_EXPIRY, target_id, jumin_support_due(end)))

    live_cases = CaseAssessment.objects.filter(target__in=owned, active=True)
    for case_id, target_id, birth in live_cases.filter(
            target__status__in=PROTECTING_STATUSES, case_type=CaseType.C2_II,
            legal_representative=LegalRepresentative.PARENT, representation_ended_on__isnull=True,
    ).values_list("id", "target_id", "target__birth_date"):
        if birth is not None:  # erased only for ended persons (ADR 0081), never a protecting one
            found.append(Reminder(ReminderKind.MAJORITY, target_id, rules.majority_date(birth), case_id))

    # Only the fields the procedures read, and the person's last set approval with each case
    # (an index probe each): a large department has thousands of ②-I cases, and an IN list of
    # their people cost more than the cases themselves.
    last_set_approval = ChangeRequest.objects.filter(
        target_id=OuterRef("target_id"), action=ChangeAction.SET, status=ChangeStatus.APPROVED,
    ).order_by("-decided_at").values("decided_at")[:1]
    open_2_i = [c for c in live_cases.filter(_procedure_open(CaseType.C2_I), target__status=TargetStatus.ACTIVE,
                                             case_type=CaseType.C2_I)
                .only("id", "target_id", "case_type", "created_at", *_PROCEDURE_FIELDS[CaseType.C2_I])
                .annotate(approved_at=Subquery(last_set_approval))
                if not rules.procedures_complete(c)]
    for case in open_2_i:
        approval = case.approved_at  # annotated above
        # A case added after the approval (an amendment) is followed up from its own start.
        anchor = max(_local(approval), _local(case.created_at)) if approval else _local(case.created_at)
        followup = followup_due(anchor, until)
        if followup is not None:
            found.append(Reminder(ReminderKind.PROCEDURE_FOLLOWUP, case.target_id, followup, case.pk))

    if for_approvers:  # the requests this department's head decides (ADR 0033), its own or not
        lag = datetime.timedelta(days=settings.REMINDER_APPROVAL_OVERDUE_DAYS)
        for target_id, oldest in _of_targets(ChangeRequest.objects.filter(
                deciding_department_id=department_id, status=ChangeStatus.PENDING,
        ), "target_id", target_ids).values("target_id").annotate(at=Min("requested_at")).values_list("target_id", "at"):
            found.append(Reminder(ReminderKind.APPROVAL_OVERDUE, target_id, _local(oldest) + lag))

    for target_id, oldest in _of_targets(ReviewTask.objects.filter(
            department_id=department_id, status=ReviewTaskStatus.OPEN,
    ), "target_id", target_ids).values("target_id").annotate(at=Min("created_at")).values_list("target_id", "at"):
        found.append(Reminder(ReminderKind.REVIEW_TASK, target_id, _local(oldest)))

    onward_lag = datetime.timedelta(days=settings.REMINDER_ONWARD_FOLLOWUP_DAYS)
    for target_id, issued_at in OnwardRequest.objects.filter(target__in=owned, confirmed_at__isnull=True).values_list(
            "target_id", "issued_at"):
        found.append(Reminder(ReminderKind.ONWARD_FOLLOWUP, target_id, _local(issued_at) + onward_lag))

    ack_lag = datetime.timedelta(days=settings.NOTICE_ACK_DAYS)
    unacknowledged = _of_targets(Notice.objects.filter(department_id=department_id, acknowledged_at__isnull=True),
                                 "change_request__target_id", target_ids)
    for target_id, oldest in unacknowledged.values("change_request__target_id").annotate(
            at=Min("created_at")).values_list("change_request__target_id", "at"):
        found.append(Reminder(ReminderKind.NOTICE_UNACKNOWLEDGED, target_id, _local(oldest) + ack_lag))

    due = {r for r in found if r.due_on <= until}  # two 設定依頼 issued the same day are one occurrence
    return sorted(due, key=lambda r: (r.due_on, r.kind, r.target_id, r.case_id or 0))


def _of_targets(qs: QuerySet[M], field: str, target_ids: Collection[int] | None) -> QuerySet[M]:
    return qs if target_ids is None else qs.filter(**{f"{field}__in": target_ids})


def reminders_for(*, actor: Staff, until: datetime.date | None = None, via: str = "screen",
                  shown: int | None = None) -> list[Reminder]:
    """The acting department's reminders due on or before `until` (default: today, Japan
    time). Approvers also get the overdue approvals. Recorded as a listing of the people the
    caller shows: the first `shown` of them (None: all), with the count of all — a large
    department has thousands, and an event naming every one of them on each home page would
    grow the audit log by the id list each time (issue 14)."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    until = until or timezone.localdate()
    department_id = actor.department_id
    if department_id is None:  # policy already refused such an actor; this keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.HANDLE_VICTIMS))
    reminders = department_reminders(department_id, until=until,
                                     for_approvers=policy.allows(actor, Capability.DECIDE))
    audit_record(actor=actor, action=AuditAction.REMINDER_LIST,
                 detail={"until": until.isoformat(), "via": via, "count": len(reminders),
                         "target_ids": sorted({r.target_id for r in reminders[:shown]})})
    return reminders


def alerted_keys(department_id: int, reminders: list[Reminder]) -> set[Key]:
    """Which of these reminders the daily job has alerted the approvers of (shown highlighted).
    The department's alerted records of the reminders' due dates, by its (department, due_on)
    index: not an IN list of every person, which at thousands of reminders cost 0.4 s (issue 14)."""
    if not reminders:
        return set()
    due = [r.due_on for r in reminders]
    rows: set[Key] = set(ReminderRecord.objects.filter(
        department_id=department_id, alerted_at__isnull=False, due_on__range=(min(due), max(due)),
    ).values_list("kind", "target_id", "case_id", "due_on"))
    return rows & {r.key for r in reminders}


# --- the daily job -----------------------------------------------------------------------

def reminders_record_and_alert(*, now: datetime.datetime) -> dict[str, int]:
    """Record each reminder due today the first time it is seen, and alert the owning
    department's approvers of those due for REMINDER_OVERDUE_AFTER_DAYS and still open.
    Idempotent: a second run on the same day (or a redelivered message) adds nothing."""
    today = _local(now)
    overdue_by = today - datetime.timedelta(days=settings.REMINDER_OVERDUE_AFTER_DAYS)
    seen = alerted = 0
    for department in Department.objects.order_by("pk"):
        reminders = department_reminders(department.pk, until=today, for_approvers=True)
        if not reminders:
            continue
        before = ReminderRecord.objects.filter(department=department).count()
        ReminderRecord.objects.bulk_create([
            ReminderRecord(kind=r.kind, target_id=r.target_id, case_id=r.case_id, department=department,
                           due_on=r.due_on, first_seen_at=now) for r in reminders], ignore_conflicts=True)
        seen += ReminderRecord.objects.filter(department=department).count() - before
        live = {r.key for r in reminders if r.due_on <= overdue_by}
        by_key = defaultdict(list)
        for record in ReminderRecord.objects.filter(
                department=department, alerted_at__isnull=True, due_on__lte=overdue_by,
                target_id__in={key[1] for key in live}):
            by_key[(record.kind, record.target_id, record.case_id, record.due_on)].append(record.pk)
        to_alert = sorted(pk for key, pks in by_key.items() if key in live for pk in pks)
        if not to_alert:
            continue
        ReminderRecord.objects.filter(pk__in=to_alert, alerted_at__isnull=True).update(alerted_at=now)
        alerted += len(to_alert)
        audit_record(actor=None, username=JOB, action=AuditAction.REMINDER_ALERT,
                     detail={"department": department.code, "count": len(to_alert), "reminder_ids": to_alert,
                             "target_ids": sorted({key[1] for key in by_key if key in live})})
    return {"seen": seen, "alerted": alerted}
