import secrets

from django.db import transaction
from django.utils import timezone

from accounts.access import require_role
from accounts.models import Department, Role, Staff
from audit.services import audit_record
from config.errors import DomainError, NotFound

from .models import ReviewTask, ReviewTaskStatus, Scope, SystemClient


@transaction.atomic
def system_client_create(*, actor: Staff | None, code: str, name: str, department_code: str,
                         scopes: list[str]) -> tuple[SystemClient, str]:
    """Issue the credential of one calling system; the raw key is returned once, only its hash is kept.

    `actor` is a system administrator, or None from the operator command line."""
    if actor is not None:
        require_role(actor, Role.SYSADMIN)
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
    audit_record(actor=actor, action="system_client.create",
                 detail={"client": code, "department": department.code, "scopes": client.scopes})
    return client, secret


@transaction.atomic
def system_client_revoke(*, actor: Staff | None, code: str) -> SystemClient:
    if actor is not None:
        require_role(actor, Role.SYSADMIN)
    client = SystemClient.objects.select_for_update().filter(code=code).first()
    if client is None:
        raise NotFound()
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        # The service account goes too, so no other credential of it keeps working.
        Staff.objects.filter(pk=client.staff_id).update(is_active=False)
    audit_record(actor=actor, action="system_client.revoke", detail={"client": code})
    return client


@transaction.atomic
def review_task_close(*, actor: Staff, task_id: int, note: str = "") -> ReviewTask:
    """The owning department records that it reviewed the event (e.g. decided to keep or release)."""
    require_role(actor, Role.COUNTER, Role.APPROVER)
    task = ReviewTask.objects.select_for_update().filter(pk=task_id, department=actor.department_id).first()
    if task is None:
        raise NotFound()
    if task.status != ReviewTaskStatus.OPEN:
        raise DomainError("この確認事項は既に対応済みです。")
    task.status, task.closed_at, task.closed_by, task.note = ReviewTaskStatus.DONE, timezone.now(), actor, note
    task.save(update_fields=["status", "closed_at", "closed_by", "note"])
    audit_record(actor=actor, action="review_task.close", target_id=task.target_id,
                 detail={"review_task_id": task.pk, "kind": task.kind})
    return task
