import datetime
import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models

from core.policy import Role


def token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


class Department(models.Model):
    """A 課 of the municipality. Its auth Group carries guardian object permissions."""

    code = models.CharField("所属コード", max_length=20, unique=True)
    name = models.CharField("所属名", max_length=100)
    does_linkage = models.BooleanField("情報連携を行う", default=False)
    # The 情報連携 contact point (DOMAIN §5, §7 Point 5): its staff decide by hand whether to
    # provide when an inquiry about a person under 自動応答不可 arrives, its head approves
    # (ADR 0037). One per municipality, so "who decides" never has two answers.
    is_contact_point = models.BooleanField("情報連携の窓口（手動提供の判断）", default=False)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_contact_point"], condition=models.Q(is_contact_point=True),
                                    name="department_one_contact_point"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Staff(AbstractUser):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, related_name="staff")
    role = models.CharField("役割", max_length=20, choices=Role.choices, blank=True)
    # The name printed on 決裁票 and shown on the approval screens (ADR 0028). One field, not
    # first_name/last_name: a Japanese name is written family name first, often with a full-width
    # space, and 決裁 paperwork prints it exactly as the person writes it.
    display_name = models.CharField("表示名（氏名）", max_length=100, blank=True)

    @property
    def shown_name(self) -> str:
        """The display name, or the username for an account that has none yet."""
        return self.display_name or self.username


class RevokeReason(models.TextChoices):
    MANUAL = "manual", "管理者による失効"
    TOTP_RESET = "totp_reset", "2段階認証のリセット"
    ROLE_CHANGE = "role_change", "役割の変更"
    DEPARTMENT_CHANGE = "department_change", "所属の変更"
    DEACTIVATION = "deactivation", "アカウントの無効化"


class ApiToken(models.Model):
    """Only the SHA-256 of a token is stored: a database read does not yield a credential.

    A token expires settings.API_TOKEN_LIFETIME_DAYS after it was issued (derived from
    created_at, so shortening the setting also shortens the tokens already out)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField("失効理由", max_length=20, choices=RevokeReason.choices, blank=True)
    # Written at most once a minute per token (accounts.authentication): enough for "is it used?"
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        # Ids only: this string reaches logs and the admin, never the key or its hash.
        return f"API token #{self.pk} of staff #{self.staff_id}"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + token_lifetime()

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
