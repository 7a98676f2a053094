"""The audit log export, as CSV for Excel and as xlsx from the same columns and rows
(core.tabular, ADR 0059): Japanese values (the action's label, its code too for filtering,
the role, 許可/拒否), the staff member's display name beside the username (ADR 0028).

Rows are read as plain column values through a server-side cursor (on PostgreSQL) a chunk at
a time: memory stays bounded by the chunk and no model instance is built per row (a month is
~250,000 rows, ADR 0069)."""
import json
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.tabular import Column, Kind, Table, csv_lines

from .actor_names import display_names
from .models import AuditEvent, Outcome, action_label, role_label

COLUMNS = (
    Column("id", Kind.ID, 10), Column("日時(JST)", width=20), Column("職員", width=14),
    Column("職員（表示名）", width=16),
    Column("所属", width=10), Column("役割", width=16), Column("操作", width=36), Column("操作コード", width=28),
    Column("対象者ID", Kind.ID, 10), Column("結果", width=6), Column("経路", width=8), Column("IPアドレス", width=16),
    Column("リクエストID", Kind.ID, 34), Column("詳細", width=60),
)
HEADER = [c.header for c in COLUMNS]
CHUNK = 2000
_FIELDS = ("id", "occurred_at", "actor_id", "actor_username", "department_code", "role", "action", "target_id",
           "outcome", "channel", "ip", "request_id", "detail")
_OUTCOMES = dict(Outcome.choices)


def _row_values(events: QuerySet[AuditEvent], chunk_size: int) -> Iterator[Sequence[Any]]:
    values = events.values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    localtime = timezone.localtime
    # Display names looked up per chunk: one query per chunk of events, not one per event.
    while chunk := list(islice(values, chunk_size)):
        names = display_names({row[2] for row in chunk if row[2] is not None})
        for (pk, occurred_at, actor_id, username, department, role, action, target_id, outcome, channel, ip,
             request_id, detail) in chunk:
            yield (pk, localtime(occurred_at).strftime("%Y-%m-%d %H:%M:%S"), username,
                   names.get(actor_id, "") if actor_id is not None else "", department,
                   role_label(role, username, channel), action_label(action), action, target_id,
                   _OUTCOMES.get(outcome, outcome), channel, ip, request_id,
                   json.dumps(detail, ensure_ascii=False, sort_keys=True))


def events_table(events: QuerySet[AuditEvent], chunk_size: int = CHUNK) -> Table:
    return Table(COLUMNS, _row_values(events, chunk_size), sheet="監査ログ")


def stream(events: QuerySet[AuditEvent], chunk_size: int = CHUNK) -> Iterator[str]:
    """The CSV lines of the export (the benchmark streams them without a response)."""
    return csv_lines(events_table(events, chunk_size))
