import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import DomainError, NotFound
from core.policy import Capability, Role

from .models import Scope, SystemClient


@transaction.atomic
def system_client_create(*, actor: Staff | None, code: str, name: str, department_code: str,
                         scopes: list[str]) -> tuple[SystemClient, str]:
    """Issue the credential of one calling system; the raw key is returned once, only its hash is kept.

    `actor` is a system administrator, or None from the operator command line."""
    if actor is not None:
        policy.require(actor, Capability.OPERATE_SYNC)
    unknown = sorted(set(scopes) - set(Scope.values))
    if not scopes or unknown:
        raise DomainError(f"scope は {', '.join(Scope.values)} から選択してください。", "scopes")
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        raise DomainError("所属が見つかりません。", "department")
    if SystemClient.objects.filter(code=code).exists():
        raise DomainError("このシステムコードは既に登録されています。", "code")
    # Service account: a counter-role member of the bound department that cannot log in.
    staff = Staff(username=f"system:{code}", department=department, role=Role.COUNTER, is_active=True)
    staff.set_unusable_password()
    staff.save()
    staff.groups.set([department.group])
    secret = f"{code}.{secrets.token_urlsafe(32)}"
    client = SystemClient.objects.create(code=code, name=name, department=department, staff=staff,
                                         scopes=sorted(set(scopes)), key_hash=SystemClient.hash_key(secret))
    audit_record(actor=actor, action=AuditAction.SYSTEM_CLIENT_CREATE,
                 detail={"client": code, "department": department.code, "scopes": client.scopes})
    return client, secret


@transaction.atomic
def system_client_revoke(*, actor: Staff | None, code: str) -> SystemClient:
    if actor is not None:
        policy.require(actor, Capability.OPERATE_SYNC)
    client = SystemClient.objects.select_for_update().filter(code=code).first()
    if client is None:
        raise NotFound()
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        # The service account goes too, so no other credential of it keeps working.
        Staff.objects.filter(pk=client.staff_id).update(is_active=False)
    audit_record(actor=actor, action=AuditAction.SYSTEM_CLIENT_REVOKE, detail={"client": code})
    return client
