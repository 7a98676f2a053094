"""Captures what the production log handler writes: the JSON formatter and the context filter
exactly as settings.LOGGING configures them (LOG_FORMAT=json), on the root logger at DEBUG."""
import contextlib
import io
import json
import logging
from collections.abc import Iterator

from django.conf import settings
from django.utils.module_loading import import_string

from core.log_context import ContextFilter


class Captured:
    def __init__(self, stream: io.StringIO):
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@contextlib.contextmanager
def json_logs() -> Iterator[Captured]:
    config: dict = dict(settings.LOGGING["formatters"]["json"])  # type: ignore[index]
    formatter = import_string(config.pop("()"))(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
