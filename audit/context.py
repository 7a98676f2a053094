"""Per-request context (request id, IP, channel) for audit events, without threading
the request object through every service call."""
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str = ""
    channel: str = "cli"


# RequestContext is frozen, so one shared default instance cannot be changed through the variable.
_current: ContextVar[RequestContext] = ContextVar("audit_request_context", default=RequestContext())  # noqa: B039


def current() -> RequestContext:
    return _current.get()


def bind(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
