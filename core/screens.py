"""The gate every screen passes through, and the shape of a screen's POST action."""
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import policy
from .errors import DomainError, Forbidden, NotFound
from .signals import screen_refused


def screen(
    capability: policy.Capability | None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login, then the capability from core.policy (deny by default; None: any staff role),
    then domain errors mapped to HTTP. NotFound stays a 404 so a hidden target looks exactly
    like an absent one."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if capability is None:
                allowed = bool(getattr(user, "role", "")) and user.is_active
            else:
                allowed = policy.allows(user, capability)
            if not allowed:
                # Audited by the audit app's receiver: every refused attempt leaves an event.
                screen_refused.send(sender=screen, request=request, view=f"{view.__module__}.{view.__qualname__}")
                raise PermissionDenied(
                    "この画面を利用する権限がありません。" if capability is None else policy.refusal_message(capability)
                )
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc

        return wrapped

    return decorator


def act(request: HttpRequest, action: Callable[[], object], *, success: str, then: str) -> HttpResponse:
    """A screen's POST action: run it, show its success or the rule that refused it, and go
    to `then` (a URL or URL name). NotFound and Forbidden stay errors, so `screen` answers
    404 / 403 exactly as for a read."""
    try:
        action()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(then)

