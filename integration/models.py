import hashlib

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    INQUIRY_CHECK = "inquiry_check", "照会時確認（単件・一括）"
    RECIPIENT_FILTER = "recipient_filter", "お知らせ宛先ファイルの除外"
    INQUIRY_FILE_STAMP = "inquiry_file_stamp", "照会依頼ファイルへの不開示コード設定"
    PROVISION_FILE_CHECK = "provision_file_check", "手動提供ファイルの開示区分の確認"
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

    is_system_client = True  # request.auth marker for accounts.api_permissions

    def __str__(self) -> str:
        return f"SystemClient#{self.pk}({self.code})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.staff.is_active

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
