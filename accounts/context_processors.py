"""The idle timeout, for the warning shown two minutes before it (static/js/session_timeout.js)."""
from django.conf import settings
from django.http import HttpRequest


def session_timeout(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    return {"session_timeout": {"idle_seconds": idle,
                                "warn_after_seconds": max(idle - settings.SESSION_IDLE_WARNING_SECONDS, 0)}}
