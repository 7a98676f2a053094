"""What every log line says about where it came from: request id, acting user and department,
Celery task and intermediary operation (ADR 0066). Ids only — the filter never reads a name, a
birth date or a 宛名番号, so no formatter can print one from here.

The request is bound by audit.middleware.RequestContextMiddleware (first in the chain, so even an
error of a later middleware has its request id); the user is read from the request only once
authentication has put one there (a session user already loaded, or a DRF/API caller), never by
loading the session from inside a log call. Celery binds the task id (config/celery.py) and the
delivery task its operation id."""
import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

FIELDS = ("request_id", "user_id", "department_id", "task_id", "operation_id")
# A field with nothing to say is "-" (not absent), so every line has every key.
NONE = "-"

_request: ContextVar[Any] = ContextVar("log_request", default=None)
_values: ContextVar[dict[str, str]] = ContextVar("log_values", default={})  # noqa: B039 — never mutated


def bind_request(request: Any) -> None:
    _request.set(request)


@receiver(request_finished)
def _forget_request(**kwargs: object) -> None:
    # Sent when the server closes the response, after Django's own log line of an error response.
    _request.set(None)


@contextlib.contextmanager
def bound(**values: object) -> Iterator[None]:
    """Adds ids (task_id, operation_id, …) to every line logged inside the block."""
    token = _values.set({**_values.get(), **{k: str(v) for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _values.reset(token)


def bind(**values: object) -> Any:
    return _values.set({**_values.get(), **{k: str(v) for k, v in values.items() if v is not None}})


def reset(token: Any) -> None:
    _values.reset(token)


def _loaded_user(request: Any) -> Any:
    # Through __dict__, not the attribute: an unevaluated lazy user would load the session (and
    # query the database) from inside a log call.
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        wrapped = user.__dict__.get("_wrapped", empty)
        user = None if wrapped is empty else wrapped
    return user if getattr(user, "is_authenticated", False) else None


def current() -> dict[str, str]:
    fields = dict.fromkeys(FIELDS, NONE)
    request = _request.get()
    if request is not None:
        fields["request_id"] = str(getattr(request, "request_id", "") or NONE)
        user = _loaded_user(request)
        if user is not None:
            fields["user_id"] = str(user.pk)
            department_id = getattr(user, "department_id", None)
            fields["department_id"] = NONE if department_id is None else str(department_id)
    fields.update(_values.get())
    return fields


class ContextFilter(logging.Filter):
    """Puts the ids on the record (attributes the formatters name); a value a call passed in
    `extra` itself is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current().items():
            if getattr(record, key, None) in (None, "", NONE):
                setattr(record, key, value)
        return True
