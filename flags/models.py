"""The flag-change records: a ChangeRequest (set / amend / release) and its states. Decided by
another person than the requester (four eyes); the target is handed in by victims."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ChangeAction(models.TextChoices):
    SET = "set", "設定"
    RELEASE = "release", "解除"
    # A change of an active target's record or cases (ADR 0030): added cases, corrected
    # identity, 住基DV等支援措置. Ending a case stays a release of that case.
    AMEND = "amend", "設定内容の変更"
    TRANSFER = "transfer", "所管の移管"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済み"
    REJECTED = "rejected", "却下"
    WITHDRAWN = "withdrawn", "取下げ"


class ChangeRequest(models.Model):
    """A request to set or release a target's measures; decided by another person (four eyes)."""

    target = models.ForeignKey("victims.Target", on_delete=models.PROTECT, related_name="change_requests")
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    # Whose approver decides it (ADR 0033): the requesting department, the receiving one for a
    # transfer (ADR 0034), or the fallback when that department has no active approver (ADR 0035).
    deciding_department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    # The receiving department of a transfer of ownership; empty for every other action.
    transfer_to = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    release_reason = models.CharField(max_length=20, blank=True)
    release_cases = models.ManyToManyField("victims.CaseAssessment", blank=True, related_name="+")
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # A withdrawal of a pending registration is itself four-eyes (ADR 0016): the first person
    # asks here, the request stays pending (and protects), an approver of the department who
    # is neither the asker nor the registrant completes it.
    withdrawal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_requested_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # Four eyes, enforced by the database as well as the service.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="changerequest_decider_is_not_requester",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_department=F("deciding_department")),
                name="changerequest_approved_by_deciding_department",
            ),
            models.CheckConstraint(
                condition=Q(action="transfer", transfer_to__isnull=False)
                | (~Q(action="transfer") & Q(transfer_to__isnull=True)),
                name="changerequest_transfer_names_receiver",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="changerequest_decision_has_time",
            ),
            # At most one open request of each kind per target.
            models.UniqueConstraint(
                fields=["target", "action"],
                condition=Q(status="pending"),
                name="changerequest_one_pending_per_action",
            ),
        ]

    def __str__(self) -> str:  # ids only: never a name in a log line
        return f"ChangeRequest#{self.pk}({self.action}, {self.status})"
