import hashlib

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    INQUIRY_CHECK = "inquiry_check", "照会時確認（単件・一括）"
    RECIPIENT_FILTER = "recipient_filter", "お知らせ宛先ファイルの除外"
    JUMIN_PUSH = "jumin_push", "住基DV等支援措置の連携（住民記録システム）"


class SystemClient(models.Model):
    """A calling business system: one credential per system, bound to a department.

    The system acts through its own service account (a Staff row of the bound department
    with no usable password), so every service and audit event names it like a person.
    Only the SHA-256 of the secret is stored."""

    code = models.SlugField("システムコード", max_length=40, unique=True)
    name = models.CharField("システム名", max_length=100)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="system_clients")
    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="system_client")
    scopes = models.JSONField("許可する操作", default=list)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    is_system_client = True  # request.auth marker for config.api_permissions

    def __str__(self) -> str:
        return f"SystemClient#{self.pk}({self.code})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.staff.is_active

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class ReviewTaskKind(models.TextChoices):
    INTAKE_REQUIRED = "intake_required", "住基支援措置の対象者：類型の確認・登録内容の補完が必要"
    JUMIN_REOPENED = "jumin_reopened", "解除済み等の対象者が住基支援措置の対象になった：再設定の確認"
    JUMIN_ENDED = "jumin_ended", "住基支援措置が終了：設定継続か解除かの検討"


class ReviewTaskStatus(models.TextChoices):
    OPEN = "open", "未対応"
    DONE = "done", "対応済み"


class ReviewTask(models.Model):
    """Work for the owning department that an outside event raised. It never changes flags:
    an ended 住基支援措置, in particular, is reviewed by a person, never released by itself."""

    target = models.ForeignKey("victims.Target", on_delete=models.PROTECT, related_name="review_tasks")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="review_tasks")
    kind = models.CharField(max_length=20, choices=ReviewTaskKind.choices)
    status = models.CharField(max_length=10, choices=ReviewTaskStatus.choices, default=ReviewTaskStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["department", "status"])]

    def __str__(self) -> str:
        # Ids and states only: this string reaches logs and the admin, never personal data.
        return f"review task #{self.pk} {self.kind} ({self.status})"
