import uuid

from django.db import models


class OperationAction(models.TextChoices):
    SET = "set", "設定"
    RELEASE = "release", "解除"


class OperationStatus(models.TextChoices):
    PENDING = "pending", "送信待ち"
    CLAIMED = "claimed", "処理中"
    SENT = "sent", "送信済み"
    REFLECTED = "reflected", "反映済み"
    FAILED = "failed", "失敗（再試行待ち）"
    DEAD = "dead", "要対応（再試行上限）"


class Operation(models.Model):
    """Outbox row: one flag change on one unit, written in the approval transaction.

    The UUID is the record id and idempotency key at the intermediate server."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    change_request = models.ForeignKey("flags.ChangeRequest", null=True, on_delete=models.PROTECT, related_name="operations")
    unit_type = models.CharField(max_length=10)
    unit_key = models.CharField(max_length=16, db_index=True)
    flag_kind = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=OperationAction.choices)
    status = models.CharField(max_length=10, choices=OperationStatus.choices, default=OperationStatus.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]
