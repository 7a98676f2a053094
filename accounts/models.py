import hashlib

from django.contrib.auth.models import AbstractUser, Group
from django.db import models

from core.policy import Role


class Department(models.Model):
    """A 課 of the municipality. Its auth Group carries guardian object permissions."""

    code = models.CharField("所属コード", max_length=20, unique=True)
    name = models.CharField("所属名", max_length=100)
    does_linkage = models.BooleanField("情報連携を行う", default=False)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Staff(AbstractUser):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, related_name="staff")
    role = models.CharField("役割", max_length=20, choices=Role.choices, blank=True)


class ApiToken(models.Model):
    """Only the SHA-256 of a token is stored: a database read does not yield a credential."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        # Ids only: this string reaches logs and the admin, never the key or its hash.
        return f"API token #{self.pk} of staff #{self.staff_id}"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
