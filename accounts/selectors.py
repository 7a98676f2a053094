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
    """The configured fallback (settings.FALLBACK_APPROVER_DEPARTMENT), if it exists and has
    an active approver itself: a fallback nobody can decide in is no fallback (ADR 0035)."""
    code = settings.FALLBACK_APPROVER_DEPARTMENT
    department = Department.objects.filter(code=code).first() if code else None
    return department if department is not None and has_active_approver(department) else None


def approver_routing(department: Department) -> Department | None:
    """The department whose head decides a request opened by (or, for a transfer, addressed
    to) `department`: itself while it has an active approver, else the fallback, else None
    (the request then waits for an approver of its own; ADR 0035)."""
    if has_active_approver(department):
        return department
    return fallback_approver_department()


def departments_without_approver(*, actor: Actor) -> list[Department]:
    """The departments handling victims' requests that have no active approver, for the
    system administrators' home page."""
    policy.require(actor, Capability.OPERATE_SYNC)
    with_approver = Staff.objects.filter(role=Role.APPROVER, is_active=True).values("department_id")
    return list(Department.objects.exclude(pk__in=with_approver).order_by("code"))
