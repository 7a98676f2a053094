"""Retention of login state (ADR 0080): expired sessions and old django-axes records.

Both are idempotent (a second run finds nothing) and write one audit event per run with the
counts, never a username or an address. The audit log keeps every login attempt for the
record period regardless (accounts.login_delay reads it, not axes' tables)."""
import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction

from audit.actions import AuditAction
from audit.services import audit_record

JOB = "retention"  # the actor name of the beat's retention jobs in the audit log


@transaction.atomic
def sessions_clear(*, now: datetime.datetime) -> int:
    """What `manage.py clearsessions` does for the database backend, counted and audited."""
    removed, _ = Session.objects.filter(expire_date__lt=now).delete()
    audit_record(actor=None, username=JOB, action=AuditAction.RETENTION_SESSIONS_CLEARED,
                 detail={"sessions": removed})
    return removed


@transaction.atomic
def login_attempts_purge(*, now: datetime.datetime) -> dict[str, int]:
    """axes' attempt, failure and access records older than AXES_ATTEMPT_RETENTION_DAYS. A
    lockout lasts AXES_COOLOFF_TIME (hours), so nothing this old still locks anyone."""
    cutoff = now - datetime.timedelta(days=settings.AXES_ATTEMPT_RETENTION_DAYS)
    counts = {
        "attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0],
        "failures": AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
        "access_logs": AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
    }
    audit_record(actor=None, username=JOB, action=AuditAction.RETENTION_LOGIN_ATTEMPTS_PURGED,
                 detail={**counts, "retention_days": settings.AXES_ATTEMPT_RETENTION_DAYS})
    return counts
