"""Password spraying in the failed logins: many accounts, few tries each, within a window,
from one source address or from all sources together (a spray spread over many addresses).
Axes and the per-account wait never see it: no account and no address fails often enough.

Thresholds are settings (AUDIT_ANOMALY: spray_window_minutes, spray_max_tries_per_account,
spray_min_accounts_per_source, spray_min_accounts_overall). Counts only: the attempted user
names stay out of the alert (a password typed into the name field would otherwise be shown)."""
import datetime
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from .actions import AuditAction
from .models import AuditEvent

OVERALL = ""  # the source of the alert over all addresses


@dataclass(frozen=True)
class SprayAlert:
    source: str  # a client address, or OVERALL
    first_at: datetime.datetime
    last_at: datetime.datetime
    accounts: int  # accounts tried at most spray_max_tries_per_account times in that window
    attempts: int  # failed logins in that window
    sources: int  # distinct addresses in that window


Attempt = tuple[str, str, datetime.datetime]  # ip, attempted username, when


def _peak(source: str, attempts: Iterable[Attempt], window: datetime.timedelta, max_tries: int) -> SprayAlert | None:
    """The window (ending at some attempt) with the most lightly-tried accounts, in one pass:
    each attempt enters once and leaves once, the count of light accounts kept as it goes."""
    inside: deque[Attempt] = deque()
    tries: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    light = 0
    best: SprayAlert | None = None

    def change(username: str, by: int) -> None:
        nonlocal light
        before = tries[username]
        tries[username] = after = before + by
        light += (1 <= after <= max_tries) - (1 <= before <= max_tries)

    for attempt in attempts:
        while inside and inside[0][2] <= attempt[2] - window:
            gone = inside.popleft()
            change(gone[1], -1)
            sources[gone[0]] -= 1
            if not sources[gone[0]]:
                del sources[gone[0]]
        inside.append(attempt)
        change(attempt[1], +1)
        sources[attempt[0]] += 1
        if best is None or light > best.accounts:
            best = SprayAlert(source=source, first_at=inside[0][2], last_at=attempt[2], accounts=light,
                              attempts=len(inside), sources=len(sources))
    return best


def spray_alerts(failed_logins: QuerySet[AuditEvent]) -> list[SprayAlert]:
    """Per source address whose peak reaches spray_min_accounts_per_source, and over all
    sources if their peak reaches spray_min_accounts_overall; most accounts first."""
    cfg = settings.AUDIT_ANOMALY
    window = datetime.timedelta(minutes=cfg["spray_window_minutes"])
    max_tries = cfg["spray_max_tries_per_account"]
    rows: list[Attempt] = list(failed_logins.filter(action=AuditAction.AUTH_LOGIN_FAILED)
                               .exclude(detail__has_key="delayed")  # refused unchecked: no password tried
                               .order_by("occurred_at", "id").values_list("ip", "actor_username", "occurred_at"))
    by_source: dict[str, list[Attempt]] = {}
    for row in rows:
        by_source.setdefault(row[0], []).append(row)
    alerts = []
    for source, attempts in by_source.items():
        if len({a[1] for a in attempts}) < cfg["spray_min_accounts_per_source"]:
            continue  # too few accounts in the whole period for any window: most sources, skipped
        peak = _peak(source, attempts, window, max_tries)
        if peak is not None and peak.accounts >= cfg["spray_min_accounts_per_source"]:
            alerts.append(peak)
    overall = _peak(OVERALL, rows, window, max_tries)
    if overall is not None and overall.accounts >= cfg["spray_min_accounts_overall"]:
        alerts.append(overall)
    return sorted(alerts, key=lambda a: (-a.accounts, a.source))
