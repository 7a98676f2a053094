import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from . import flag_kinds


class UnitType(models.TextChoices):
    ATENA = "atena", "団体内統合宛名番号単位"
    INFO_CODE = "info_code", "特定個人情報名コード単位"


class FlagKind(models.TextChoices):
    NO_AUTO_RESPONSE = flag_kinds.NO_AUTO_RESPONSE, flag_kinds.LABELS[flag_kinds.NO_AUTO_RESPONSE]
    NONDISCLOSURE = flag_kinds.NONDISCLOSURE, flag_kinds.LABELS[flag_kinds.NONDISCLOSURE]


class FlagState(models.Model):
    """Desired vs reflected state of one flag on one unit at the intermediate server."""

    unit_type = models.CharField(max_length=10, choices=UnitType.choices)
    unit_key = models.CharField(max_length=16)
    flag_kind = models.CharField(max_length=20, choices=FlagKind.choices)
    desired = models.BooleanField(default=False)
    desired_at = models.DateTimeField(null=True, blank=True)
    reflected = models.BooleanField(null=True)  # None: never reported by the intermediate server
    reflected_at = models.DateTimeField(null=True, blank=True)
    # The last Operation.unit_seq handed out for this unit and flag. Bumped only while this
    # row is locked (select_for_update), so the unit's operations are numbered in the order
    # their transactions took the lock, whatever the hosts' clocks say (ADR 0084).
    seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "flags_flagstate"  # moved from flags without copying data (ADR 0010)
        constraints = [
            models.UniqueConstraint(fields=["unit_type", "unit_key", "flag_kind"], name="flagstate_unique_unit_flag"),
        ]

    def __str__(self) -> str:
        return f"FlagState({self.unit_type}:{self.unit_key} {self.flag_kind})"

    @property
    def in_sync(self) -> bool:
        return self.reflected is not None and self.reflected == self.desired


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


class Channel(models.TextChoices):
    WEB_SERVICE = "web_service", "Webサービス連携（単件逐次）"
    XML_BATCH = "xml_batch", "XMLデータ連携（複数件一括）"


class Operation(models.Model):
    """Outbox row: one flag change on one unit, written in the approval transaction.

    The UUID is the record id and idempotency key at the intermediate server."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    change_request = models.ForeignKey("flags.ChangeRequest", null=True, on_delete=models.PROTECT,
                                       related_name="operations")
    info_code_request = models.ForeignKey("intermediary.InfoCodeChangeRequest", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="operations")
    unit_type = models.CharField(max_length=10)
    unit_key = models.CharField(max_length=16, db_index=True)
    flag_kind = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=OperationAction.choices)
    status = models.CharField(max_length=10, choices=OperationStatus.choices, default=OperationStatus.PENDING,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # display, ages, FIFO across units
    # Place in its unit's order (1, 2, … per unit and flag, from FlagState.seq): "newer" between
    # two operations of one unit means a higher unit_seq, never a later created_at (ADR 0084).
    # No default: a row written without taking the FlagState lock fails instead of misordering.
    unit_seq = models.PositiveBigIntegerField()
    # Delivery bookkeeping (all times from intermediary.clock, so tests can drive them).
    channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reflected_at = models.DateTimeField(null=True, blank=True)
    # When delivery of this operation first failed and has kept failing since (cleared when
    # reflected): "failing for longer than DELIVERY_FAILING_ALERT_AFTER_SECONDS" (ADR 0060).
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=20, blank=True)
    last_error_message = models.CharField(max_length=200, blank=True)
    batch = models.ForeignKey("intermediary.Batch", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="operations")
    record_no = models.PositiveIntegerField(null=True, blank=True)
    # Coalescing: an operation superseded within a window points at the one actually sent.
    covered_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="covers")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # Also the index of every per-unit lookup ("a newer one of this unit?").
            models.UniqueConstraint(fields=["unit_type", "unit_key", "flag_kind", "unit_seq"], name="op_unit_flag_seq"),
        ]
        indexes = [
            # The sync monitor's 「最近の反映」 (the newest reflected): without it, a sort of every
            # reflected operation — 0.37 s of the screen's 0.7 s at 1,000,000 (issue 14).
            models.Index(fields=["-reflected_at"], condition=Q(status="reflected", covered_by__isnull=True),
                         name="op_recently_reflected"),
        ]

    def __str__(self) -> str:
        # Ids and states only: this string reaches logs and the admin, never personal data.
        return f"operation {self.pk} {self.action} {self.flag_kind} ({self.status})"


class BatchStatus(models.TextChoices):
    BUILDING = "building", "作成中"
    PUBLISHED = "published", "送信済み"
    RESULTED = "resulted", "結果受領"


class Batch(models.Model):
    """One XML data-linkage file: one flag kind, one reflection window."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flag_kind = models.CharField(max_length=20)
    window_at = models.DateTimeField()
    name = models.CharField(max_length=120, unique=True)
    reception_number = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.BUILDING)
    sha256 = models.CharField(max_length=64, blank=True)
    record_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    result_name = models.CharField(max_length=140, blank=True)

    class Meta:
        ordering = ["-window_at"]
        constraints = [
            # One file per flag kind per window: a re-run resumes the batch instead of doubling it.
            models.UniqueConstraint(fields=["flag_kind", "window_at"], name="batch_one_per_kind_window"),
        ]

    def __str__(self) -> str:
        return self.name


class AlertKind(models.TextChoices):
    DEAD = "dead", "再試行上限（要対応）"
    QUARANTINE = "quarantine", "結果ファイル隔離"
    MISMATCH = "mismatch", "照合不一致"
    FAILING = "failing", "送信の失敗が続いています（未反映）"


class Alert(models.Model):
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    unit_type = models.CharField(max_length=10, blank=True)
    unit_key = models.CharField(max_length=16, blank=True)
    flag_kind = models.CharField(max_length=20, blank=True)
    operation = models.ForeignKey(Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    detail = models.JSONField(default=dict)  # ids, codes and states only
    # What the alert is about, one value per cause (the operation, the unit and flag, the
    # file): at most one open alert per cause, however many workers notice it (ADR 0076).
    cause = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "cause"], condition=Q(resolved_at__isnull=True),
                                    name="alert_one_open_per_cause"),
        ]

    def __str__(self) -> str:
        return f"alert #{self.pk} {self.kind}"


class InfoCodeChangeStatus(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済み"
    REJECTED = "rejected", "却下"


class InfoCodeChangeRequest(models.Model):
    """A system admin's request to set/release a flag on a 特定個人情報名コード unit
    (e.g. a wrong 副本); approved by another system admin (four eyes)."""

    info_code = models.CharField(max_length=16)
    flag_kind = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=OperationAction.choices)
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=InfoCodeChangeStatus.choices, default=InfoCodeChangeStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(info_code__regex=r"^TM[0-9]{14}$"), name="infocode_request_code_format"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="infocode_request_decider_is_not_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"info-code change #{self.pk} {self.action} {self.flag_kind} ({self.status})"


class CorrectionStatus(models.TextChoices):
    OPEN = "open", "未完了"
    DONE = "done", "完了"


class RecordCorrection(models.Model):
    """不開示 追記 of earlier 情報提供等記録 (DOMAIN.md §3): a person found to be a target after
    a linkage already happened needs the existing records corrected (record-change reason +
    non-disclosure). That is a system admin's operation at the intermediate server; the
    product tracks it, from the owning department's request until a system admin records
    it done with the server's reference. System admins see the atena_no, never the name."""

    target = models.ForeignKey("victims.Target", on_delete=models.PROTECT, related_name="record_corrections")
    atena_no = models.CharField(max_length=15)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN,
                              db_index=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField("処理番号等", max_length=100, blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=Q(status="open"),
                                    name="record_correction_one_open_per_target"),
            models.CheckConstraint(condition=Q(status="open") | (Q(done_by__isnull=False) & ~Q(reference="")),
                                   name="record_correction_done_has_who_and_reference"),
        ]

    def __str__(self) -> str:
        return f"record correction #{self.pk} of target #{self.target_id} ({self.status})"
