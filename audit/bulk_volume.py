"""How many numbers callers looked up in bulk, read from the log: one source for the daily
quota (checks) and for the anomaly view's thresholds, so both count the same thing."""
import datetime
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from .actions import AuditAction, bulk_lookup_actions
from .models import AuditEvent, Outcome

# detail["reason"] of a bulk look-up refused by the daily quota (checks.quota): an alert for auditors.
QUOTA_REASON = "daily_quota"

DayKey = tuple[str, str, datetime.date]  # actor_username, department_code, date (Japan time)


def _numbers(action: str, detail: dict) -> int:
    value = detail.get(AuditAction(action).numbers_key, 0)
    return value if isinstance(value, int) else 0


def bulk_numbers_per_day(events: QuerySet[AuditEvent]) -> dict[DayKey, int]:
    """Numbers looked up by the allowed bulk look-ups among `events`, per person and day."""
    rows = (
        events.filter(action__in=bulk_lookup_actions(), outcome=Outcome.ALLOWED)
        .values("actor_username", "department_code", "occurred_at__date", "action", "detail")
    )
    totals: dict[DayKey, int] = defaultdict(int)
    for row in rows:
        key = (row["actor_username"], row["department_code"], row["occurred_at__date"])
        totals[key] += _numbers(row["action"], row["detail"])
    return dict(totals)


def bulk_numbers_today(actor_id: int) -> int:
    """Numbers this caller looked up in bulk today (Japan time)."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (AuditEvent.objects.filter(actor_id=actor_id, occurred_at__gte=start, action__in=bulk_lookup_actions(),
                                      outcome=Outcome.ALLOWED)
            .values_list("action", "detail"))
    return sum(_numbers(action, detail) for action, detail in rows)


def quota_refusals(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """The bulk look-ups among `events` that the daily quota refused, newest first."""
    return events.filter(action__in=bulk_lookup_actions(), outcome=Outcome.DENIED,
                         detail__reason=QUOTA_REASON).order_by("-id")
