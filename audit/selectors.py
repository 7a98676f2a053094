"""Auditors' reads of the log. Every search, view and export is itself an audit event."""
import datetime
from dataclasses import dataclass, field
from typing import Any

import jpholiday
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core import policy
from core.policy import Actor, Capability

from .actions import AuditAction, listing_actions, reading_actions
from .bulk_volume import DayKey, bulk_numbers_per_day, quota_refusals
from .day_counts import day_bounds, day_period, kinds_of, live_counts
from .models import AuditCountedDay, AuditDayCount, AuditEvent, AuditEventTarget, DayCountKind, Outcome
from .services import audit_record
from .spraying import SprayAlert, spray_alerts

# "Who has seen this person": reads of one person's data, through any screen or API, reads
# that showed many people at once (naming them in detail["target_ids"]), and bulk look-ups
# that matched the person (rows of AuditEventTarget).
READ_ACTIONS = reading_actions()
LISTING_ACTIONS = listing_actions()


@dataclass(frozen=True)
class EventFilter:
    start: datetime.date
    end: datetime.date  # inclusive
    actor: str = ""
    department: str = ""
    action: str = ""
    target_id: int | None = None
    outcome: str = ""

    def as_detail(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in self.__dict__.items()
                if v not in ("", None)}


# Events are appended in id order with occurred_at taken just before the append, which waits at
# most for the transaction holding the chain head to commit (web requests and tasks are bounded
# by CELERY_TASK_TIME_LIMIT, 5 minutes): an event with a larger id never carries a time earlier
# than this before one with a smaller id. A period is turned into an id range with it (ADR 0069).
CLOCK_SKEW = datetime.timedelta(minutes=15)
COUNT_CAP = 10_000  # the pager counts to here, not the whole match (「1万件以上」)
PAGE_SIZE = 50
# The anomaly lists' newest 500 of a period: by time, which the occurred_at index reads backwards
# from the period's end. By id, a period in the past was reached by reading every newer event
# first (a year ago: ~2.8M rows at 20M events, bench-audit-scale).
NEWEST_IN_PERIOD = ("-occurred_at", "-id")


def _period_by_id(qs: QuerySet[AuditEvent], start: datetime.date, end: datetime.date) -> QuerySet[AuditEvent]:
    """The events of the period, also bounded by id: the search's indexes are (column, id), so a
    search of one day seven years ago reads that day's entries, not the years after it. Two
    look-ups on the occurred_at index: the last event more than CLOCK_SKEW before the period,
    and the first more than CLOCK_SKEW after it; every event of the period lies between their
    ids (unless the server's clock was set back by more than CLOCK_SKEW)."""
    lo, hi = day_bounds(start, end)
    before = (AuditEvent.objects.filter(occurred_at__lt=lo - CLOCK_SKEW).order_by("-occurred_at")
              .values_list("id", flat=True).first())
    after = (AuditEvent.objects.filter(occurred_at__gte=hi + CLOCK_SKEW).order_by("occurred_at")
             .values_list("id", flat=True).first())
    qs = day_period(qs, start, end)
    if before is not None:
        qs = qs.filter(id__gt=before)
    if after is not None:
        qs = qs.filter(id__lt=after)
    return qs


def actions_named(prefix: str) -> list[str]:
    """An action filter is a prefix of the vocabulary's codes (「flags.」「change_request.」): the
    codes it names, so the (action, id) index answers it (no LIKE index, ADR 0069). A code no
    longer in the vocabulary is found when typed in full."""
    return sorted({a.value for a in AuditAction if a.value.startswith(prefix)} | {prefix})


def _filtered(f: EventFilter) -> QuerySet[AuditEvent]:
    qs = _period_by_id(AuditEvent.objects.all(), f.start, f.end)
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.department:
        qs = qs.filter(department_code=f.department)
    if f.action:
        qs = qs.filter(action__in=actions_named(f.action))
    if f.target_id is not None:
        qs = qs.filter(target_id=f.target_id)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    return qs.order_by("-id")


@dataclass
class EventPage:
    """One page of a search, newest first, paged by id (keyset): no page costs more than its
    rows, and the total is counted only up to COUNT_CAP."""

    events: list[AuditEvent]
    newer_than: int | None  # link to the newer page: events with an id above this
    older_than: int | None  # link to the older page: events with an id below this
    total: int
    capped: bool  # total is COUNT_CAP: there are at least that many

    @property
    def total_label(self) -> str:
        return f"{COUNT_CAP:,}件以上" if self.capped else f"{self.total:,}件"


def _page(qs: QuerySet[AuditEvent], *, before: int | None, after: int | None, size: int) -> EventPage:
    if after is not None:
        rows = list(qs.filter(id__gt=after).order_by("id")[:size + 1])
        newer = len(rows) > size
        rows = rows[:size][::-1]
        older = bool(rows) and qs.filter(id__lt=rows[-1].id).exists()
    else:
        rows = list((qs.filter(id__lt=before) if before is not None else qs)[:size + 1])
        older = len(rows) > size
        rows = rows[:size]
        newer = bool(rows) and before is not None and qs.filter(id__gt=rows[0].id).exists()
    total = qs.order_by()[:COUNT_CAP].count()
    return EventPage(rows, rows[0].id if rows and newer else None, rows[-1].id if rows and older else None,
                     total, total >= COUNT_CAP)


def event_search(*, actor: Actor, flt: EventFilter, before: int | None = None, after: int | None = None,
                 size: int = PAGE_SIZE) -> EventPage:
    policy.require(actor, Capability.AUDIT)
    audit_record(actor=actor, action=AuditAction.AUDIT_SEARCH, detail=flt.as_detail())
    return _page(_filtered(flt), before=before, after=after, size=size)


def event_export(*, actor: Actor, flt: EventFilter, file_format: str = "csv") -> tuple[QuerySet[AuditEvent], int]:
    policy.require(actor, Capability.AUDIT)
    qs = _filtered(flt)
    count = qs.count()
    audit_record(actor=actor, action=AuditAction.AUDIT_EXPORT,
                 detail={**flt.as_detail(), "rows": count, "format": file_format})
    return qs.order_by("id"), count


WHO_HAS_SEEN_LIMIT = 2000


def who_has_seen(*, actor: Actor, target_id: int) -> list[AuditEvent]:
    """Every read that returned or checked this person's data, newest first (up to
    WHO_HAS_SEEN_LIMIT): reads of the person (the (target_id, id) index), bulk look-ups that
    matched them (AuditEventTarget's key) and listings that named them. A listing's ids are in
    its detail; the database finds them (PostgreSQL: a GIN index on detail->'target_ids';
    SQLite: json_each), never by reading every listing's list into this process (ADR 0069).
    Three queries merged here: one OR across them would defeat every index."""
    policy.require(actor, Capability.AUDIT)
    audit_record(actor=actor, action=AuditAction.AUDIT_WHO_HAS_SEEN, target_id=target_id)
    newest = AuditEvent.objects.order_by("-id")
    parts = [
        newest.filter(target_id=target_id, action__in=READ_ACTIONS),
        newest.filter(_matched_in_bulk(target_id)),
        _listed(newest, target_id),
    ]
    events = {e.pk: e for qs in parts for e in qs[:WHO_HAS_SEEN_LIMIT]}
    return sorted(events.values(), key=lambda e: -e.pk)[:WHO_HAS_SEEN_LIMIT]


def _listed(qs: QuerySet[AuditEvent], target_id: int) -> QuerySet[AuditEvent]:
    qs = qs.filter(action__in=LISTING_ACTIONS)
    if connection.vendor == "postgresql":
        # Both conditions as the index (migration 0009) states them, so the planner uses it.
        return qs.filter(detail__has_key="target_ids", detail__target_ids__contains=[int(target_id)])
    table = AuditEvent._meta.db_table
    # The table name comes from the model, the id is a parameter.
    exists = f"EXISTS (SELECT 1 FROM json_each(\"{table}\".detail, '$.target_ids') WHERE json_each.value = %s)"  # noqa: S608
    return qs.extra(where=[exists], params=[int(target_id)])  # noqa: S610


def _matched_in_bulk(target_id: int) -> Q:
    """Bulk look-ups that matched this person (ADR 0017): one indexed lookup, both databases."""
    return Q(pk__in=AuditEventTarget.objects.filter(target_id=target_id).values("event_id"))


@dataclass
class Anomalies:
    off_hours: list[AuditEvent]
    heavy_readers: list[dict[str, Any]]  # actor_username, department_code, occurred_at__date, n
    denied: list[AuditEvent]
    failed_logins: list[dict[str, Any]]  # actor_username, ip, n
    # actor_username, department_code, occurred_at__date, n = single + bulk (numbers looked up)
    wide_searchers: list[dict[str, Any]]
    # bulk look-ups the daily quota refused: an alert for auditors
    bulk_quota_refusals: list[AuditEvent] = field(default_factory=list)
    password_spraying: list[SprayAlert] = field(default_factory=list)
    # actor_username, department_code, occurred_at__date, n: registrations of existing targets
    duplicate_registrations: list[dict[str, Any]] = field(default_factory=list)


def anomalies(*, actor: Actor, start: datetime.date, end: datetime.date) -> Anomalies:
    """Patterns an auditor should look at; thresholds are settings (AUDIT_ANOMALY)."""
    policy.require(actor, Capability.AUDIT)
    audit_record(
        actor=actor, action=AuditAction.AUDIT_ANOMALIES, detail={"start": start.isoformat(), "end": end.isoformat()}
    )
    cfg = settings.AUDIT_ANOMALY
    events = day_period(AuditEvent.objects.all(), start, end)
    staff_events = events.exclude(actor_id=None)
    night_start, night_end = cfg["night_start_hour"], cfg["night_end_hour"]
    holidays = [d for d, _ in jpholiday.between(start, end)]
    off_hours = staff_events.filter(
        Q(occurred_at__hour__gte=night_start)
        | Q(occurred_at__hour__lt=night_end)
        | Q(occurred_at__week_day__in=[1, 7])
        | Q(occurred_at__date__in=holidays)
    ).order_by(*NEWEST_IN_PERIOD)[:500]
    counts = _DayCounts(start, end)
    heavy = counts.over(DayCountKind.TARGETS_READ, cfg["max_targets_per_user_day"])
    denied = events.filter(outcome=Outcome.DENIED).exclude(action=AuditAction.AUTH_LOGIN_FAILED).order_by(
        *NEWEST_IN_PERIOD)[:500]
    failed = (
        events.filter(action=AuditAction.AUTH_LOGIN_FAILED)
        .values("actor_username", "ip")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    wide = _wide_searchers(staff_events, counts, cfg["max_atena_per_user_day"])
    return Anomalies(list(off_hours), heavy, list(denied), list(failed), wide,
                     bulk_quota_refusals=list(quota_refusals(staff_events).order_by(*NEWEST_IN_PERIOD)[:500]),
                     password_spraying=spray_alerts(events),
                     duplicate_registrations=_duplicate_registrants(
                         staff_events, cfg["max_duplicate_registrations_per_user_day"]))


def _duplicate_registrants(staff_events: QuerySet[AuditEvent], threshold: int) -> list[dict[str, Any]]:
    """Clerks who registered, in one day, more persons that were already targets than the
    threshold (ADR 0015: the receipt answers alike, so probing shows only here)."""
    rows = (
        staff_events.filter(action=AuditAction.REGISTRATION_SUBMIT, detail__outcome="duplicate")
        .values("actor_username", "department_code", "occurred_at__date")
        .annotate(n=Count("target_id", distinct=True))
        .order_by("occurred_at__date", "actor_username")
    )
    return [r for r in rows if r["n"] > threshold]


class _DayCounts:
    """Per person and day counts of the period: the counted days' rows (day_counts, ADR 0070)
    and, for the days not counted yet (today), the events. A day counted before the bulk
    look-ups were counted into it (ADR 0087) is `legacy`: its wide searchers come from its
    events' bulk look-ups, as before."""

    def __init__(self, start: datetime.date, end: datetime.date) -> None:
        self.start, self.end = start, end
        counted = dict(AuditCountedDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "event_id"))
        details = dict(AuditEvent.objects.filter(pk__in=list(counted.values())).values_list("pk", "detail"))
        self.with_bulk = {day for day, event_id in counted.items()
                          if DayCountKind.NUMBERS_WITH_BULK in kinds_of(details.get(event_id))}
        days = (start + datetime.timedelta(days=i) for i in range((end - start).days + 1))
        self.uncounted = [d for d in days if d not in counted]
        self.legacy = sorted(set(counted) - self.with_bulk)

    def _live(self, kind: str, over: int | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for day in self.uncounted:
            staff = day_period(AuditEvent.objects.exclude(actor_id=None), day, day)
            live = live_counts(staff, kind)
            rows += live.filter(n__gt=over) if over is not None else live
        return rows

    def stored_over(self, kind: str, threshold: int) -> list[dict[str, Any]]:
        stored = (AuditDayCount.objects.filter(kind=kind, n__gt=threshold, day__gte=self.start, day__lte=self.end)
                  .values("actor_username", "department_code", "day", "n"))
        return [{"actor_username": r["actor_username"], "department_code": r["department_code"],
                 "occurred_at__date": r["day"], "n": r["n"]} for r in stored]

    def over(self, kind: str, threshold: int) -> list[dict[str, Any]]:
        return sorted(self.stored_over(kind, threshold) + self._live(kind, threshold),
                      key=lambda r: (r["occurred_at__date"], r["actor_username"]))

    def stored(self, kind: str, keys: set[DayKey]) -> dict[DayKey, int]:
        """The counted days' count of each (person, department, day) asked for."""
        if not keys:
            return {}
        rows = (AuditDayCount.objects.filter(kind=kind, day__in={k[2] for k in keys},
                                             actor_username__in={k[0] for k in keys})
                .values_list("actor_username", "department_code", "day", "n"))
        return {k: n for u, d, day, n in rows if (k := (u, d, day)) in keys}

    def of(self, kind: str, keys: set[DayKey]) -> dict[DayKey, int]:
        """The count of each (person, department, day) asked for (the bulk look-ups' keys)."""
        if not keys:
            return {}
        found = self.stored(kind, keys)
        found.update({k: r["n"] for r in self._live(kind)
                      if (k := (r["actor_username"], r["department_code"], r["occurred_at__date"])) in keys})
        return found


def _wide_searchers(staff_events: QuerySet[AuditEvent], counts: _DayCounts, threshold: int) -> list[dict[str, Any]]:
    """Numbers looked up per person and day over the threshold: distinct typed numbers
    (single checks, searches) plus every number of their bulk checks and recipient files
    (ADR 0017), with both parts shown. Days counted with both (ADR 0087): the rows over the
    threshold and their typed part. Other days (today; days counted before ADR 0087): the typed
    numbers from the day counts or the events, and the bulk look-ups from those days' events."""
    rows: dict[DayKey, dict[str, Any]] = {}

    def add(key: DayKey, single: int, bulk: int) -> None:
        rows[key] = {"actor_username": key[0], "department_code": key[1], "occurred_at__date": key[2],
                     "n": single + bulk, "single": single, "bulk": bulk}

    totals = {(r["actor_username"], r["department_code"], r["occurred_at__date"]): r["n"]
              for r in counts.stored_over(DayCountKind.NUMBERS_WITH_BULK, threshold)
              if r["occurred_at__date"] in counts.with_bulk}
    typed = counts.stored(DayCountKind.NUMBERS_LOOKED_UP, set(totals))
    for key, n in totals.items():
        add(key, typed.get(key, 0), n - typed.get(key, 0))
    other_days = set(counts.legacy) | set(counts.uncounted)
    if other_days:
        bulk = bulk_numbers_per_day(_on_days(staff_events, other_days))
        singles = {k: r["n"] for r in counts.over(DayCountKind.NUMBERS_LOOKED_UP, threshold)
                   if (k := (r["actor_username"], r["department_code"], r["occurred_at__date"]))[2] in other_days}
        singles.update(counts.of(DayCountKind.NUMBERS_LOOKED_UP, set(bulk)))
        for key in singles.keys() | bulk.keys():
            add(key, singles.get(key, 0), bulk.get(key, 0))
    wide = [r for r in rows.values() if r["n"] > threshold]
    return sorted(wide, key=lambda r: (r["occurred_at__date"], -r["n"], r["actor_username"]))


def _on_days(qs: QuerySet[AuditEvent], days: set[datetime.date]) -> QuerySet[AuditEvent]:
    """The events of these days: one time range per run of consecutive days (each indexed)."""
    ranges: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + datetime.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    where = Q()
    for first, last in ranges:
        lo, hi = day_bounds(first, last)
        where |= Q(occurred_at__gte=lo, occurred_at__lt=hi)
    return qs.filter(where)


def bulk_quota_alert_count(*, actor: Actor, days: int = 7) -> int:
    """Bulk look-ups refused by the daily quota in the last `days` days: the alert on the
    auditors' home page (counts only; the anomaly view lists them and is audited)."""
    policy.require(actor, Capability.AUDIT)
    since = timezone.now() - datetime.timedelta(days=days)
    return quota_refusals(AuditEvent.objects.filter(occurred_at__gte=since)).count()
