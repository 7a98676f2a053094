"""Reads of accounts data for the system administrators' screens."""
from django.db.models import QuerySet

from core import policy
from core.policy import Actor, Capability

from .models import ApiToken

TOKEN_LIST_LIMIT = 1000


def api_tokens_overview(*, actor: Actor) -> QuerySet[ApiToken]:
    """Every staff token, newest first, with its owner: ids and dates only (the key hash is
    never selected, so no template can show it)."""
    policy.require(actor, Capability.OPERATE_SYNC)
    return (ApiToken.objects.select_related("staff__department")
            .only("id", "created_at", "last_used_at", "revoked_at", "revoked_reason",
                  "staff__username", "staff__role", "staff__department__code")
            .order_by("-created_at", "-id")[:TOKEN_LIST_LIMIT])
