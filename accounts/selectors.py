"""Reads of accounts data for the system administrators' screens."""
from django.conf import settings
from django.db.models import QuerySet

from core import policy
from core.policy import Actor, Capability, Role

from .models import ApiToken, Department, Staff

TOKEN_LIST_LIMIT = 1000


def api_tokens_overview(*, actor: Actor) -> QuerySet[ApiToken]:
    """Every staff token, newest first, with its owner: ids and dates only (the key hash is
    never selected, so no template can show it)."""
    policy.require(actor, Capability.OPERATE_SYNC)
    return (ApiToken.objects.select_related("staff__department")
            .only("id", "created_at", "last_used_at", "revoked_at", "revoked_reason",
                  "staff__username", "staff__role", "staff__department__code")
            .order_by("-created_at", "-id")[:TOKEN_LIST_LIMIT])


def has_active_approver(department: Department) -> bool:
    """Does some active head (approver role) belong to `department`?"""
    return Staff.objects.filter(department=department, role=Role.APPROVER, is_active=True).exists()


def fallback_approver_department() -> Department | None:
    """The configured fallback (settings.FALLBACK_APPROVER_DEPARTMENT), else the department
    marked as the 情報連携 contact point (ADR 0037), if it has an active approver itself: a
    fallback nobody can decide in is no fallback (ADR 0035, 0041)."""
    code = settings.FALLBACK_APPROVER_DEPARTMENT
    departments = Department.objects.filter(code=code) if code else Department.objects.filter(is_contact_point=True)
    department = departments.first()
    return department if department is not None and has_active_approver(department) else None


def approver_routing(department: Department) -> Department | None:
    """The department whose head decides a request opened by (or, for a transfer, addressed
    to) `department`: itself while it has an active approver, else the fallback, else None
    (the request then waits for an approver of its own; ADR 0035)."""
    if has_active_approver(department):
        return department
    return fallback_approver_department()


def departments_without_approver(*, actor: Actor) -> list[Department]:
    """The departments whose active counter staff open requests but that have no active
    approver (their requests go to the fallback, or wait), for the system administrators'
    home page. A department without counter staff (情報システム課, 監査室) opens none."""
    policy.require(actor, Capability.OPERATE_SYNC)
    active = Staff.objects.filter(is_active=True)
    with_counter = active.filter(role=Role.COUNTER).values("department_id")
    with_approver = active.filter(role=Role.APPROVER).values("department_id")
    return list(Department.objects.filter(pk__in=with_counter).exclude(pk__in=with_approver).order_by("code"))


def staff_overview(*, actor: Actor) -> QuerySet[Staff]:
    """Every staff account, by department and username, for the display-name screen."""
    policy.require(actor, Capability.OPERATE_SYNC)
    return (Staff.objects.select_related("department")
            .only("id", "username", "display_name", "role", "is_active", "department__code", "department__name")
            .order_by("department__code", "username"))
