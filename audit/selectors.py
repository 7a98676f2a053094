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

from .actions import AuditAction, listing_actions, number_lookup_actions, reading_actions
from .bulk_volume import DayKey, bulk_numbers_per_day, quota_refusals
from .models import AuditEvent, AuditEventTarget, Outcome
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


def _period(qs: QuerySet[AuditEvent], start: datetime.date, end: datetime.date) -> QuerySet[AuditEvent]:
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return qs.filter(occurred_at__gte=lo, occurred_at__lt=hi)


def _filtered(f: EventFilter) -> QuerySet[AuditEvent]:
    qs = _period(AuditEvent.objects.all(), f.start, f.end)
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.department:
        qs = qs.filter(department_code=f.department)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.target_id is not None:
        qs = qs.filter(target_id=f.target_id)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    return qs.order_by("-id")


def event_search(*, actor: Actor, flt: EventFilter) -> QuerySet[AuditEvent]:
    policy.require(actor, Capability.AUDIT)
    audit_record(actor=actor, action=AuditAction.AUDIT_SEARCH, detail=flt.as_detail())
    return _filtered(flt)


def event_export(*, actor: Actor, flt: EventFilter, file_format: str = "csv") -> tuple[QuerySet[AuditEvent], int]:
    policy.require(actor, Capability.AUDIT)
    qs = _filtered(flt)
    count = qs.count()
    audit_record(actor=actor, action=AuditAction.AUDIT_EXPORT,
                 detail={**flt.as_detail(), "rows": count, "format": file_format})
    return qs.order_by("id"), count


def who_has_seen(*, actor: Actor, target_id: int) -> list[AuditEvent]:
    """Every read that returned or checked this person's data."""
    policy.require(actor, Capability.AUDIT)
    audit_record(actor=actor, action=AuditAction.AUDIT_WHO_HAS_SEEN, target_id=target_id)
    direct = Q(target_id=target_id, action__in=READ_ACTIONS) | _matched_in_bulk(target_id)
    if connection.vendor == "postgresql":
        listed = Q(action__in=LISTING_ACTIONS, detail__target_ids__contains=[target_id])
        return list(AuditEvent.objects.filter(direct | listed).order_by("-id")[:2000])
    events = list(AuditEvent.objects.filter(direct).order_by("-id")[:2000])
    events += [e for e in AuditEvent.objects.filter(action__in=LISTING_ACTIONS)
               if target_id in e.detail.get("target_ids", [])]
    return sorted(events, key=lambda e: -e.id)


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
    staff_events = _period(AuditEvent.objects.exclude(actor_id=None), start, end)
    night_start, night_end = cfg["night_start_hour"], cfg["night_end_hour"]
    holidays = [d for d, _ in jpholiday.between(start, end)]
    off_hours = staff_events.filter(
        Q(occurred_at__hour__gte=night_start)
        | Q(occurred_at__hour__lt=night_end)
        | Q(occurred_at__week_day__in=[1, 7])
        | Q(occurred_at__date__in=holidays)
    ).order_by("-id")[:500]
    per_day = (
        staff_events.filter(action=AuditAction.TARGET_READ, outcome=Outcome.ALLOWED)
        .values("actor_username", "department_code", "occurred_at__date")
        .annotate(n=Count("target_id", distinct=True))
    )
    heavy = [r for r in per_day if r["n"] > cfg["max_targets_per_user_day"]]
    denied = _period(
        AuditEvent.objects.filter(outcome=Outcome.DENIED).exclude(action=AuditAction.AUTH_LOGIN_FAILED), start, end
    ).order_by("-id")[:500]
    failed = (
        _period(AuditEvent.objects.filter(action=AuditAction.AUTH_LOGIN_FAILED), start, end)
        .values("actor_username", "ip")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    wide = _wide_searchers(staff_events, cfg["max_atena_per_user_day"])
    return Anomalies(list(off_hours), heavy, list(denied), list(failed), wide,
                     bulk_quota_refusals=list(quota_refusals(staff_events)[:500]),
                     password_spraying=spray_alerts(_period(AuditEvent.objects.all(), start, end)),
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


def _wide_searchers(staff_events: QuerySet[AuditEvent], threshold: int) -> list[dict[str, Any]]:
    """Numbers looked up per person and day over the threshold: distinct typed numbers
    (single checks, searches) plus every number of their bulk checks and recipient files
    (ADR 0017), with both parts shown."""
    searched = (
        staff_events.filter(action__in=number_lookup_actions())
        .values("actor_username", "department_code", "occurred_at__date")
        .annotate(n=Count("detail__atena_no", distinct=True))
    )
    rows: dict[DayKey, dict[str, Any]] = {}
    for r in searched:
        key = (r["actor_username"], r["department_code"], r["occurred_at__date"])
        rows[key] = {**r, "single": r["n"], "bulk": 0}
    for key, numbers in bulk_numbers_per_day(staff_events).items():
        row = rows.setdefault(key, {"actor_username": key[0], "department_code": key[1],
                                    "occurred_at__date": key[2], "n": 0, "single": 0, "bulk": 0})
        row["bulk"] = numbers
        row["n"] = row["single"] + numbers
    wide = [r for r in rows.values() if r["n"] > threshold]
    return sorted(wide, key=lambda r: (r["occurred_at__date"], -r["n"], r["actor_username"]))


def bulk_quota_alert_count(*, actor: Actor, days: int = 7) -> int:
    """Bulk look-ups refused by the daily quota in the last `days` days: the alert on the
    auditors' home page (counts only; the anomaly view lists them and is audited)."""
    policy.require(actor, Capability.AUDIT)
    since = timezone.now() - datetime.timedelta(days=days)
    return quota_refusals(AuditEvent.objects.filter(occurred_at__gte=since)).count()
