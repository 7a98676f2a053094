"""CSV for Excel: UTF-8 with BOM, and no cell that a spreadsheet would run as a formula."""
import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent, Outcome, action_label, role_label

BOM = "\ufeff"
# Japanese values (issue 12): the action's label (its code too, for filtering), the role, 許可/拒否.
HEADER = ["id", "日時(JST)", "職員", "所属", "役割", "操作", "操作コード", "対象者ID", "結果", "経路", "IPアドレス",
          "リクエストID", "詳細"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


_COLUMNS = ("id", "occurred_at", "actor_username", "department_code", "role", "action", "target_id", "outcome",
            "channel", "ip", "request_id", "detail")
_OUTCOMES = dict(Outcome.choices)


def stream(events: QuerySet[AuditEvent], chunk_size: int = 2000) -> Iterator[str]:
    """The same CSV as rows(), from plain column values read through a server-side cursor (on
    PostgreSQL) a chunk at a time: memory stays bounded by the chunk, and no model instance is
    built per row (a month is ~250,000 rows)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    localtime = timezone.localtime
    for (pk, occurred_at, username, department, role, action, target_id, outcome, channel, ip, request_id,
         detail) in events.values_list(*_COLUMNS).iterator(chunk_size=chunk_size):
        yield writer.writerow([safe_cell(v) for v in (
            pk, localtime(occurred_at).strftime("%Y-%m-%d %H:%M:%S"), username, department,
            role_label(role, username, channel), action_label(action), action, target_id,
            _OUTCOMES.get(outcome, outcome), channel, ip, request_id,
            json.dumps(detail, ensure_ascii=False, sort_keys=True),
        )])
