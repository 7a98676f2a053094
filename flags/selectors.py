"""Reads of change requests, scoped by the acting user (or by a target already authorised)."""

from django.db.models import QuerySet

from accounts.models import Staff
from core import policy
from core.policy import Capability

from .models import ChangeRequest


def approval_queue(*, actor: Staff) -> QuerySet[ChangeRequest]:
    """Pending requests the approver's department decides (ADR 0033: its own, transfers to it,
    and those it decides as the fallback), oldest first. The queue shows ids and kinds; opening
    one goes through victims' target_get_for_user and is audited there."""
    policy.require(actor, Capability.DECIDE)
    return (ChangeRequest.objects.filter(policy.decision_scope(actor))
            .select_related("requested_by", "withdrawal_requested_by", "department", "transfer_to")
            .order_by("requested_at"))


def change_requests_for_target(target_id: int) -> QuerySet[ChangeRequest]:
    """History of a target the caller has already read through victims' target_get_for_user."""
    return (ChangeRequest.objects.filter(target_id=target_id)
            .select_related("requested_by", "decided_by", "withdrawal_requested_by").prefetch_related("release_cases"))


def decided_here(*, actor: Staff, target_id: int) -> set[int]:
    """The ids of a target's pending requests the actor decides (its detail page offers them)."""
    return set(ChangeRequest.objects.filter(policy.decision_scope(actor), target_id=target_id)
               .values_list("pk", flat=True))
