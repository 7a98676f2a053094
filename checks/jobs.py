"""At most BULK_JOBS_PER_CALLER bulk jobs (bulk check or recipient filter) per caller at a
time, so that one caller cannot hold every worker and starve the single checks (ADR 0017).
Taken after the caller is known and before the body is read; a second concurrent job is a
429, audited."""
import contextlib
import datetime
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_refusal
from core.errors import TooManyRequests

from .models import BulkJobSlot

logger = logging.getLogger("dvprotect.checks")


def _busy() -> TooManyRequests:
    return TooManyRequests("この利用者の一括処理（一括確認または宛先ファイルの除外）が実行中です。"
                           "終わってから、もう一度送信してください。")


_SLOTS = BulkJobSlot._meta.db_table
# One statement, PostgreSQL and SQLite (3.35+) alike: a free slot is inserted, an expired one
# taken over, one that a running job holds returns no row. Every upload, refused or not,
# takes and gives back a slot, so this stays one round trip each way.
_TAKE_SQL = f"""
INSERT INTO "{_SLOTS}" (caller_id, slot, started_at, expires_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (caller_id, slot) DO UPDATE SET started_at = excluded.started_at, expires_at = excluded.expires_at
WHERE "{_SLOTS}".expires_at <= excluded.started_at
RETURNING id
"""  # noqa: S608


def job_slot_take(actor, *, action: AuditAction) -> BulkJobSlot:
    """A free slot of this caller, or TooManyRequests, audited under the endpoint's action."""
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=int(getattr(settings, "BULK_JOB_SLOT_SECONDS", 600)))
    params = [connection.ops.adapt_datetimefield_value(now), connection.ops.adapt_datetimefield_value(expires)]
    for slot in range(int(getattr(settings, "BULK_JOBS_PER_CALLER", 1))):
        with connection.cursor() as cur:
            cur.execute(_TAKE_SQL, [actor.pk, slot, *params])
            row = cur.fetchone()
        if row is not None:
            return BulkJobSlot(pk=row[0], caller_id=actor.pk, slot=slot, started_at=now, expires_at=expires)
    audit_refusal(actor=actor, action=action, detail={"reason": "concurrent_job"})
    logger.warning("bulk job refused: staff #%s already runs one", actor.pk)
    raise _busy()


def job_slot_release(slot: BulkJobSlot) -> None:
    # started_at too: a job that outlived its slot must not free the one that took it over.
    BulkJobSlot.objects.filter(pk=slot.pk, started_at=slot.started_at).delete()


@contextlib.contextmanager
def bulk_job(actor, *, action: AuditAction) -> Iterator[BulkJobSlot]:
    """Hold one of the caller's slots for the duration of the block."""
    slot = job_slot_take(actor, action=action)
    try:
        yield slot
    finally:
        job_slot_release(slot)
