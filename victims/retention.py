"""Erasing the personal data of persons whose protection ended long ago (ADR 0081).

番号法 §23 keeps the records of a protection for 7 years; after that, a released person's
name, kana, birth date, notes, the abusers' names, the free texts that may name people and
the intake receipts' copies of them are erased. What stays: the row and its ids (atena_no,
the flag history, the operations, the change requests and their decisions), so the audit
log's events still point at something and the chain (which never held these data) verifies.

"Ended" is the last decision on the person: a release approved, a registration rejected or
withdrawn. A person protected again (reopened, a 支援措置 started) is not ended. The job is
idempotent: an erased person has `personal_data_erased_at` and is never picked again."""
import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet

from audit.actions import AuditAction
from audit.services import audit_record

from .models import (
    Amendment,
    CaseAssessment,
    IntakeDraft,
    Notice,
    OnwardRequest,
    Registration,
    ReviewTask,
    Target,
    TargetStatus,
)

ENDED_STATUSES = (TargetStatus.RELEASED, TargetStatus.REJECTED, TargetStatus.WITHDRAWN)
# Keys of the stored JSON (receipts, amendments' before/after) that hold personal data.
PERSONAL_KEYS = frozenset({"name", "name_kana", "birth_date", "notes", "abuser_name", "end_condition"})
CHUNK = 500


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same calendar moment `years` earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def due_for_erasure(*, now: datetime.datetime) -> QuerySet[Target]:
    """Ended persons whose last decision lies PERSONAL_DATA_RETENTION_YEARS or more back."""
    cutoff = years_before(now, settings.PERSONAL_DATA_RETENTION_YEARS)
    return (Target.objects.filter(status__in=ENDED_STATUSES, personal_data_erased_at__isnull=True,
                                  jumin_support_active=False)
            .annotate(ended_at=Max("change_requests__decided_at"))
            .filter(ended_at__isnull=False, ended_at__lte=cutoff)
            .order_by("pk"))


def scrub(value: Any) -> Any:
    """A stored JSON value with every personal key's value emptied, at any depth."""
    if isinstance(value, dict):
        return {k: (None if k in PERSONAL_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _erase(targets: list[Target], now: datetime.datetime) -> None:
    ids = [t.pk for t in targets]
    Target.objects.filter(pk__in=ids).update(name="", name_kana="", birth_date=None, notes="",
                                             personal_data_erased_at=now)
    CaseAssessment.objects.filter(target_id__in=ids).update(abuser_name="", end_condition="")
    Notice.objects.filter(atena_no__in=[t.atena_no for t in targets]).update(name="")
    ReviewTask.objects.filter(target_id__in=ids).update(note="")
    OnwardRequest.objects.filter(target_id__in=ids).update(note="", municipality_name="")
    receipts = Registration.objects.filter(Q(created_target_id__in=ids) | Q(review_task__target_id__in=ids))
    for receipt in receipts.only("pk", "intake"):
        Registration.objects.filter(pk=receipt.pk).update(intake=scrub(receipt.intake))
    for amendment in Amendment.objects.filter(target_id__in=ids).only("pk", "requested", "before", "after"):
        Amendment.objects.filter(pk=amendment.pk).update(
            requested=scrub(amendment.requested), before=scrub(amendment.before), after=scrub(amendment.after))


def personal_data_erase(*, now: datetime.datetime) -> dict[str, int]:
    """Erase every person due, in chunks (one transaction and one audit event each, with
    the target ids: never the data erased). Also drops intake drafts past their kept_until
    (ADR 0049), which a clerk who never came back leaves behind."""
    erased = 0
    while True:
        with transaction.atomic():
            # Locked, then checked again: a person reopened meanwhile is no longer due.
            chunk = list(Target.objects.select_for_update().filter(
                pk__in=list(due_for_erasure(now=now).values_list("pk", flat=True)[:CHUNK])))
            chunk = [t for t in chunk if t.status in ENDED_STATUSES and t.personal_data_erased_at is None]
            if not chunk:
                break
            _erase(chunk, now)
            audit_record(actor=None, username="retention", action=AuditAction.RETENTION_PERSONAL_DATA_ERASED,
                         detail={"count": len(chunk), "target_ids": [t.pk for t in chunk],
                                 "retention_years": settings.PERSONAL_DATA_RETENTION_YEARS})
            erased += len(chunk)
    drafts, _ = IntakeDraft.objects.filter(kept_until__lte=now).delete()
    return {"erased": erased, "expired_drafts": drafts}
