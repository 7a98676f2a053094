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


class FileLayoutConfirmation(models.Model):
    """A system administrator confirmed the code values of one exact layout definition
    (ADR 0043): the stamper runs only while a row matches the selected definition's SHA-256,
    so a changed definition needs a new confirmation. Rows are kept: the history of who
    confirmed which values."""

    layout_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=30)
    version = models.CharField(max_length=40)
    definition_sha256 = models.CharField(max_length=64)
    values = models.JSONField()
    confirmed_by = models.ForeignKey("accounts.Staff", on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["layout_name", "definition_sha256"], name="layout_confirmation_hash")]

    def __str__(self) -> str:
        return f"{self.layout_name} v{self.version} confirmed by staff #{self.confirmed_by_id}"
