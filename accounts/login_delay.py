"""Per-account progressive delay after failed logins, whatever address they came from (ADR 0020).

django-axes locks a username *from one address* (AXES_LOCKOUT_PARAMETERS); alone, that lets the
right password through from a second address straight after a run of wrong ones. Here, after
LOGIN_ACCOUNT_DELAY["after_failures"] failures of one account since its last successful login
(within "window_hours"), the next attempt waits base_seconds after the last failure, doubling
with each further failure up to max_seconds. An attempt made during the wait is refused before
its password is checked, recorded (auth.login_failed, detail {"delayed": true}) and not counted:
no password was tried, so waiting longer would only punish the clerk who retried too early.

The failures are read from the audit log (the one record of every attempt, kept regardless of
axes' clean-ups); an unknown username is delayed exactly like a real one."""
import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent

from .models import Staff

# Set on the request by the backend, read by the login form (the message) and by the audit
# receiver (the refused attempt is marked, so it is not counted as a failure).
DELAYED_UNTIL_ATTR = "login_delayed_until"


def _wait(failures: int) -> datetime.timedelta:
    cfg = settings.LOGIN_ACCOUNT_DELAY
    steps = failures - cfg["after_failures"]
    return datetime.timedelta(seconds=min(cfg["base_seconds"] * 2 ** min(steps, 30), cfg["max_seconds"]))


def delayed_until(username: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When `username` may try again, or None if it may now."""
    cfg = settings.LOGIN_ACCOUNT_DELAY
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=cfg["window_hours"])
    last_login = Staff.objects.filter(username=username).values_list("last_login", flat=True).first()
    if last_login is not None and last_login > since:
        since = last_login
    failures = (AuditEvent.objects.filter(action=AuditAction.AUTH_LOGIN_FAILED, actor_id=None,
                                          actor_username=username, occurred_at__gt=since)
                .exclude(detail__has_key="delayed")
                .aggregate(n=Count("id"), last=Max("occurred_at")))
    if failures["n"] < cfg["after_failures"]:
        return None
    until: datetime.datetime = failures["last"] + _wait(failures["n"])
    return until if until > now else None


class AccountDelayBackend:
    """An authentication backend that never authenticates anyone: it refuses (PermissionDenied,
    which stops Django's authenticate() before the password is checked) while the account waits.
    Listed after axes' backend and before ModelBackend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username:
            return None
        until = delayed_until(str(username))
        if until is None:
            return None
        if request is not None:
            setattr(request, DELAYED_UNTIL_ATTR, until)
        raise PermissionDenied
    # No get_user(): this backend never logs anyone in, so no session may name it.
