"""The audit log export, as CSV for Excel and as xlsx from the same columns and rows
(core.tabular, ADR 0059): Japanese values (the action's label, its code too for filtering,
the role, 許可/拒否), the staff member's display name beside the username (ADR 0028)."""
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.utils import timezone

from core.tabular import Column, Kind, Table, csv_lines

from .actor_names import display_names
from .models import AuditEvent

COLUMNS = (
    Column("id", Kind.ID, 10), Column("日時(JST)", width=20), Column("職員", width=14),
    Column("職員（表示名）", width=16),
    Column("所属", width=10), Column("役割", width=16), Column("操作", width=36), Column("操作コード", width=28),
    Column("対象者ID", Kind.ID, 10), Column("結果", width=6), Column("経路", width=8), Column("IPアドレス", width=16),
    Column("リクエストID", Kind.ID, 34), Column("詳細", width=60),
)
HEADER = [c.header for c in COLUMNS]
CHUNK = 2000


def _chunks(events: Iterable[AuditEvent]) -> Iterator[list[AuditEvent]]:
    chunk: list[AuditEvent] = []
    for e in events:
        chunk.append(e)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _row_values(events: Iterable[AuditEvent]) -> Iterator[Sequence[Any]]:
    # Display names looked up per chunk: one query per 2,000 events, not one per event.
    for chunk in _chunks(events):
        names = display_names({e.actor_id for e in chunk if e.actor_id is not None})
        for e in chunk:
            yield (e.id, timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_username,
                   names.get(e.actor_id, "") if e.actor_id is not None else "", e.department_code, e.role_label,
                   e.action_label, e.action, e.target_id, e.get_outcome_display(), e.channel, e.ip, e.request_id,
                   json.dumps(e.detail, ensure_ascii=False, sort_keys=True))


def events_table(events: Iterable[AuditEvent]) -> Table:
    return Table(COLUMNS, _row_values(events), sheet="監査ログ")


def rows(events: Iterable[AuditEvent]) -> Iterator[str]:
    return csv_lines(events_table(events))
