"""The system administrators' list of staff API tokens, and their revocation."""
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.policy import Capability
from core.screens import act, screen

from . import selectors, services


@require_GET
@screen(Capability.OPERATE_SYNC)
def api_tokens(request):
    return render(request, "accounts/api_tokens.html", {
        "tokens": selectors.api_tokens_overview(actor=request.user), "now": timezone.now(),
        "limit": selectors.TOKEN_LIST_LIMIT, "lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
    })


@require_POST
@screen(Capability.OPERATE_SYNC)
def api_token_revoke(request, pk: int):
    return act(request, lambda: services.api_token_revoke(actor=request.user, token_id=pk),
               success=f"トークン #{pk} を失効させました。"
                       "新しいトークンが発行されるまで、この職員は API を利用できません。",
               then="accounts:api_tokens")
