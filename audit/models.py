from django.db import models


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "許可"
    DENIED = "denied", "拒否"


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every access and change.

    UPDATE/DELETE/TRUNCATE are refused by database triggers (migration 0002);
    `hash` covers the event's content and the previous event's hash, so a row
    altered, removed or reordered by someone who bypassed the triggers is found
    by `manage.py audit_verify`. `detail` holds ids only, never personal data.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    department_code = models.CharField(max_length=20, blank=True, db_index=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_id = models.BigIntegerField(null=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # web / api / cli / worker
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
