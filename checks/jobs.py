"""At most BULK_JOBS_PER_CALLER bulk jobs (bulk check or recipient filter) per caller at a
time, so that one caller cannot hold every worker and starve the single checks (ADR 0017).
Taken after the caller is known and before the body is read; a second concurrent job is a
429, audited."""
import contextlib
import datetime
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_refusal
from core.errors import TooManyRequests

from .models import BulkJobSlot

logger = logging.getLogger("dvprotect.checks")


def _busy() -> TooManyRequests:
    return TooManyRequests("この利用者の一括処理（一括確認または宛先ファイルの除外）が実行中です。"
                           "終わってから、もう一度送信してください。")


def job_slot_take(actor, *, action: AuditAction) -> BulkJobSlot:
    """A free slot of this caller, or TooManyRequests, audited under the endpoint's action."""
    now = timezone.now()
    BulkJobSlot.objects.filter(caller_id=actor.pk, expires_at__lte=now).delete()
    expires = now + datetime.timedelta(seconds=int(getattr(settings, "BULK_JOB_SLOT_SECONDS", 600)))
    for slot in range(int(getattr(settings, "BULK_JOBS_PER_CALLER", 1))):
        try:
            with transaction.atomic():
                return BulkJobSlot.objects.create(caller_id=actor.pk, slot=slot, started_at=now, expires_at=expires)
        except IntegrityError:  # taken by a running job (or by a request that won the race)
            continue
    audit_refusal(actor=actor, action=action, detail={"reason": "concurrent_job"})
    logger.warning("bulk job refused: staff #%s already runs one", actor.pk)
    raise _busy()


def job_slot_release(slot: BulkJobSlot) -> None:
    BulkJobSlot.objects.filter(pk=slot.pk).delete()


@contextlib.contextmanager
def bulk_job(actor, *, action: AuditAction) -> Iterator[BulkJobSlot]:
    """Hold one of the caller's slots for the duration of the block."""
    slot = job_slot_take(actor, action=action)
    try:
        yield slot
    finally:
        job_slot_release(slot)
