"""Daily pre-aggregated counts for the anomaly view (ADR 0070).

A year of anomalies grouped a year of events per person and day (7–8.6 s at 20M events). Each
closed day (Japan time) is counted once by the beat into AuditDayCount rows — distinct targets
read and distinct numbers looked up, per staff member — with an AuditCountedDay and an
audit.day_counts event carrying the rows' count and SHA-256 (so the chain covers them). The
anomaly view reads the rows for counted days and the events for the rest (today). Append-only:
a day is never recounted; `verify_counts` recomputes days from the events and compares.

Which kinds a day holds is in its counted event (`detail["kinds"]`, ADR 0087): a day counted
before a kind existed keeps the kinds it was counted with, and is recounted with those."""
import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from .actions import AuditAction, number_lookup_actions
from .bulk_volume import bulk_numbers_per_day
from .models import AuditCountedDay, AuditDayCount, AuditEvent, DayCountKind, Outcome
from .services import audit_record

Row = tuple[str, str, str, int]  # kind, actor_username, department_code, n


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """From the start of `start` to the start of the day after `end`, Japan time."""
    tz = timezone.get_current_timezone()
    return (datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz))


def day_period(qs: QuerySet[AuditEvent], start: datetime.date, end: datetime.date) -> QuerySet[AuditEvent]:
    lo, hi = day_bounds(start, end)
    return qs.filter(occurred_at__gte=lo, occurred_at__lt=hi)


def live_counts(staff_events: QuerySet[AuditEvent], kind: str) -> QuerySet:
    """Per person and day from the events: the one definition both the rows and the view use."""
    if kind == DayCountKind.TARGETS_READ:
        return (staff_events.filter(action=AuditAction.TARGET_READ, outcome=Outcome.ALLOWED)
                .values("actor_username", "department_code", "occurred_at__date")
                .annotate(n=Count("target_id", distinct=True)))
    return (staff_events.filter(action__in=number_lookup_actions())
            .values("actor_username", "department_code", "occurred_at__date")
            .annotate(n=Count("detail__atena_no", distinct=True)))


# The kinds of a day counted before ADR 0087 (its event names none).
LEGACY_KINDS = (DayCountKind.TARGETS_READ.value, DayCountKind.NUMBERS_LOOKED_UP.value)


def kinds_of(detail: Any) -> tuple[str, ...]:
    """The kinds a counted day holds, from its audit.day_counts event's detail."""
    kinds = detail.get("kinds") if isinstance(detail, dict) else None
    return tuple(kinds) if isinstance(kinds, list) else LEGACY_KINDS


def _count(day: datetime.date, kinds: Iterable[str] = DayCountKind.values) -> list[Row]:
    staff = day_period(AuditEvent.objects.exclude(actor_id=None), day, day)

    def per_person(kind: str) -> dict[tuple[str, str], int]:
        return {(r["actor_username"], r["department_code"]): r["n"] for r in live_counts(staff, kind) if r["n"]}

    wanted = set(kinds)
    counts: dict[str, dict[tuple[str, str], int]] = {}
    if DayCountKind.TARGETS_READ in wanted:
        counts[DayCountKind.TARGETS_READ] = per_person(DayCountKind.TARGETS_READ)
    typed = per_person(DayCountKind.NUMBERS_LOOKED_UP) if wanted & {
        DayCountKind.NUMBERS_LOOKED_UP, DayCountKind.NUMBERS_WITH_BULK} else {}
    if DayCountKind.NUMBERS_LOOKED_UP in wanted:
        counts[DayCountKind.NUMBERS_LOOKED_UP] = typed
    if DayCountKind.NUMBERS_WITH_BULK in wanted:
        total = dict(typed)
        for (username, department, _day), n in bulk_numbers_per_day(staff).items():
            total[(username, department)] = total.get((username, department), 0) + n
        counts[DayCountKind.NUMBERS_WITH_BULK] = {k: n for k, n in total.items() if n}
    return sorted((str(kind), u, d, n) for kind, people in counts.items() for (u, d), n in people.items())


def digest(rows: Iterable[Row]) -> str:
    return hashlib.sha256("\n".join("\t".join(map(str, r)) for r in sorted(rows)).encode()).hexdigest()


def count_closed_days(*, limit: int | None = None) -> tuple[list[datetime.date], bool]:
    """Count the days after the last counted one (from the first event's) up to yesterday, at
    most `limit` (settings.AUDIT_DAY_COUNTS_PER_RUN); returns (days counted, more left)."""
    limit = settings.AUDIT_DAY_COUNTS_PER_RUN if limit is None else limit
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    last = AuditCountedDay.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None:
        first = AuditEvent.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first()
        if first is None:
            return [], False
        day = timezone.localtime(first).date()
    else:
        day = last + datetime.timedelta(days=1)
    done: list[datetime.date] = []
    while day <= yesterday and len(done) < limit:
        _write(day)
        done.append(day)
        day += datetime.timedelta(days=1)
    return done, day <= yesterday


def _write(day: datetime.date) -> None:
    rows = _count(day)
    sha = digest(rows)
    with transaction.atomic():
        AuditDayCount.objects.bulk_create(
            [AuditDayCount(day=day, kind=k, actor_username=u, department_code=d, n=n) for k, u, d, n in rows],
            batch_size=2000)
        event = audit_record(actor=None, action=AuditAction.AUDIT_DAY_COUNTS,
                             detail={"day": day.isoformat(), "rows": len(rows), "sha256": sha,
                                     "kinds": list(DayCountKind.values)})
        AuditCountedDay.objects.create(day=day, rows=len(rows), sha256=sha, counted_at=event.occurred_at,
                                       event_id=event.pk)


def verify_counts(start: datetime.date | None = None, end: datetime.date | None = None) -> tuple[
        datetime.date | None, str]:
    """The first counted day (in the range) whose rows differ from a recount of its events or
    from the digest its chained event holds: (day, reason), or (None, "")."""
    days = AuditCountedDay.objects.order_by("day")
    if start:
        days = days.filter(day__gte=start)
    if end:
        days = days.filter(day__lte=end)
    for counted in days.iterator(chunk_size=500):
        stored = sorted((r.kind, r.actor_username, r.department_code, r.n)
                        for r in AuditDayCount.objects.filter(day=counted.day))
        event = AuditEvent.objects.filter(pk=counted.event_id).values_list("detail", flat=True).first()
        claimed: dict[str, Any] = event or {}
        if claimed.get("sha256") != counted.sha256 or digest(stored) != counted.sha256:
            return counted.day, f"{counted.day} の日次集計が記録時のハッシュと一致しません（集計の改ざん）"
        if stored != _count(counted.day, kinds_of(claimed)):
            return counted.day, f"{counted.day} の日次集計がイベントの再集計と一致しません（イベントの改ざん）"
    return None, ""
