"""What the signed-in user may open, for the navigation: decided by core.policy, not by templates."""
from django.http import HttpRequest

from . import policy


def capabilities(request: HttpRequest) -> dict[str, dict[str, bool]]:
    user = getattr(request, "user", None)
    return {"may": {c.value: policy.allows(user, c) for c in policy.Capability}}
