from django.conf import settings
from django.db import models
from django.db.models import F, Q


class UnitType(models.TextChoices):
    ATENA = "atena", "団体内統合宛名番号単位"
    INFO_CODE = "info_code", "特定個人情報名コード単位"


class FlagKind(models.TextChoices):
    NO_AUTO_RESPONSE = "NO_AUTO_RESPONSE", "自動応答不可フラグ"
    NONDISCLOSURE = "NONDISCLOSURE", "不開示該当フラグ"


class FlagState(models.Model):
    """Desired vs reflected state of one flag on one unit at the intermediate server."""

    unit_type = models.CharField(max_length=10, choices=UnitType.choices)
    unit_key = models.CharField(max_length=16)
    flag_kind = models.CharField(max_length=20, choices=FlagKind.choices)
    desired = models.BooleanField(default=False)
    desired_at = models.DateTimeField(null=True, blank=True)
    reflected = models.BooleanField(null=True)  # None: never reported by the intermediate server
    reflected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit_type", "unit_key", "flag_kind"], name="flagstate_unique_unit_flag"),
        ]

    @property
    def in_sync(self) -> bool:
        return self.reflected is not None and self.reflected == self.desired


class ChangeAction(models.TextChoices):
    SET = "set", "設定"
    RELEASE = "release", "解除"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済み"
    REJECTED = "rejected", "却下"
    WITHDRAWN = "withdrawn", "取下げ"


# The state machine: only pending requests move, and only once.
TRANSITIONS = {
    ChangeStatus.PENDING: {ChangeStatus.APPROVED, ChangeStatus.REJECTED, ChangeStatus.WITHDRAWN},
}


class ChangeRequest(models.Model):
    """A request to set or release a target's measures; decided by another person (four eyes)."""

    target = models.ForeignKey("victims.Target", on_delete=models.PROTECT, related_name="change_requests")
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    release_reason = models.CharField(max_length=20, blank=True)
    release_cases = models.ManyToManyField("victims.CaseAssessment", blank=True, related_name="+")
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # Four eyes, enforced by the database as well as the service.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="changerequest_decider_is_not_requester",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_department=F("department")),
                name="changerequest_approved_by_owning_department",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="changerequest_decision_has_time",
            ),
            # At most one open request of each kind per target.
            models.UniqueConstraint(
                fields=["target", "action"], condition=Q(status="pending"), name="changerequest_one_pending_per_action",
            ),
        ]


class Notice(models.Model):
    """Tells a linkage department that a person left the shared target list (released)."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="notices")
    atena_no = models.CharField(max_length=15)
    change_request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
