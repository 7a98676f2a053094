"""The one table of checks: who is running a bulk job now. No personal data, no history
(the audit log keeps that); a row lives as long as its job."""
from django.db import models


class BulkJobSlot(models.Model):
    """One running bulk check or recipient filter of one caller (staff or system client,
    whose service account is a Staff). `slot` runs from 0 to BULK_JOBS_PER_CALLER - 1 and the
    pair is unique, so two concurrent requests cannot both take the last free slot, on
    SQLite as on PostgreSQL. A slot whose job died with its worker expires."""

    caller_id = models.BigIntegerField()
    slot = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller_id", "slot"], name="bulk_job_slot_per_caller")]

    def __str__(self) -> str:
        return f"bulk job slot {self.slot} of staff #{self.caller_id}"
