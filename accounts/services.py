import secrets

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record, audited_atomic, require_capability
from core.errors import DomainError, NotFound
from core.policy import Capability, Role

from .models import ApiToken, Department, RevokeReason, Staff


@transaction.atomic
def department_create(*, actor: Staff | None, code: str, name: str, does_linkage: bool,
                      contact_point: bool | None = None) -> Department:
    """`contact_point`: True makes this department the 情報連携 contact point (the one: any
    other loses the mark), False takes the mark away, None leaves it as it is (ADR 0037)."""
    group, _ = Group.objects.get_or_create(name=f"dept:{code}")
    if contact_point:
        Department.objects.filter(is_contact_point=True).exclude(code=code).update(is_contact_point=False)
    defaults: dict[str, object] = {"name": name, "does_linkage": does_linkage, "group": group}
    if contact_point is not None:
        defaults["is_contact_point"] = contact_point
    dept, created = Department.objects.update_or_create(code=code, defaults=defaults)
    audit_record(actor=actor, action=AuditAction.DEPARTMENT_CREATE if created else AuditAction.DEPARTMENT_UPDATE,
                 detail={"department": code, "does_linkage": does_linkage, "contact_point": dept.is_contact_point})
    return dept


@transaction.atomic
def staff_create(*, actor: Staff | None, username: str, department_code: str, role: str, password: str,
                 display_name: str = "") -> Staff:
    """Create or update one staff member. An empty display name keeps the one recorded."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    dept = Department.objects.get(code=department_code)
    staff, created = Staff.objects.get_or_create(username=username)
    staff.department = dept
    staff.role = role
    if display_name.strip():
        staff.display_name = display_name.strip()
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


@audited_atomic
def api_token_revoke(*, actor: Staff | None, token_id: int) -> ApiToken:
    """Revoke one token: a system administrator on the token screen, or the operator's
    `manage.py revoke_api_token` (actor None, like issue_api_token)."""
    if actor is not None:
        require_capability(actor, Capability.OPERATE_SYNC, action=AuditAction.API_TOKEN_REVOKE,
                           detail={"token_id": token_id})
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound("トークンが見つかりません。")
    if token.revoked_at is not None:
        raise DomainError("このトークンは既に失効しています。")
    _revoke(actor, [token], RevokeReason.MANUAL)
    return token


@transaction.atomic
def api_tokens_revoke_for(*, actor: Staff | None, staff_id: int, reason: RevokeReason) -> list[ApiToken]:
    """Revoke every live token of one staff member (the operator command's --user, and the
    automatic revocations: 2FA reset, role or department change, deactivation)."""
    tokens = list(ApiToken.objects.select_for_update().filter(staff_id=staff_id, revoked_at=None).order_by("id"))
    _revoke(actor, tokens, reason)
    return tokens


def _revoke(actor: Staff | None, tokens: list[ApiToken], reason: RevokeReason) -> None:
    now = timezone.now()
    for token in tokens:
        token.revoked_at, token.revoked_reason = now, reason
        token.save(update_fields=["revoked_at", "revoked_reason"])
        # Ids only: which token, whose, and why.
        audit_record(actor=actor, action=AuditAction.API_TOKEN_REVOKE,
                     detail={"token_id": token.pk, "staff_id": token.staff_id, "reason": reason.value})


DISPLAY_NAME_MAX = 100


@audited_atomic
def staff_display_name_set(*, actor: Staff, staff_id: int, display_name: str) -> Staff:
    """A system administrator records the name printed on 決裁票 and approval screens
    (ADR 0028). Empty is allowed: the username is shown until a name is recorded. The event
    names the staff member by id only."""
    require_capability(actor, Capability.OPERATE_SYNC, action=AuditAction.STAFF_UPDATE,
                       detail={"staff_id": staff_id, "field": "display_name"})
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise NotFound("職員が見つかりません。")
    # Exactly as the person writes it (a full-width space between family and given name stays),
    # on one line as the slip prints it.
    name = "".join(ch for ch in (display_name or "") if ch.isprintable() or ch == "\u3000").strip()
    if len(name) > DISPLAY_NAME_MAX:
        raise DomainError(f"表示名は{DISPLAY_NAME_MAX}文字以内で入力してください。", "display_name")
    staff.display_name = name
    staff.save(update_fields=["display_name"])
    audit_record(actor=actor, action=AuditAction.STAFF_UPDATE, detail={"staff_id": staff.pk, "field": "display_name"})
    return staff
