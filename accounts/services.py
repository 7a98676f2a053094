import secrets

from django.contrib.auth.models import Group
from django.db import transaction

from audit.actions import AuditAction
from audit.services import audit_record
from core.policy import Role

from .models import ApiToken, Department, Staff


@transaction.atomic
def department_create(*, actor: Staff | None, code: str, name: str, does_linkage: bool) -> Department:
    group, _ = Group.objects.get_or_create(name=f"dept:{code}")
    dept, created = Department.objects.update_or_create(
        code=code, defaults={"name": name, "does_linkage": does_linkage, "group": group}
    )
    audit_record(actor=actor, action=AuditAction.DEPARTMENT_CREATE if created else AuditAction.DEPARTMENT_UPDATE,
                 detail={"department": code, "does_linkage": does_linkage})
    return dept


@transaction.atomic
def staff_create(*, actor: Staff | None, username: str, department_code: str, role: str, password: str) -> Staff:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    dept = Department.objects.get(code=department_code)
    staff, created = Staff.objects.get_or_create(username=username)
    staff.department = dept
    staff.role = role
    staff.is_active = True
    staff.set_password(password)
    staff.save()
    staff.groups.set([dept.group])
    audit_record(actor=actor, action=AuditAction.STAFF_CREATE if created else AuditAction.STAFF_UPDATE,
                 detail={"staff_id": staff.pk, "department": dept.code, "role": role})
    return staff


@transaction.atomic
def api_token_issue(*, actor: Staff | None, staff: Staff) -> str:
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(staff=staff, key_hash=ApiToken.hash_key(raw))
    audit_record(actor=actor, action=AuditAction.API_TOKEN_ISSUE, detail={"staff_id": staff.pk})
    return raw
