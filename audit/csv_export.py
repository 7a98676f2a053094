"""CSV for Excel: UTF-8 with BOM, and no cell that a spreadsheet would run as a formula."""
import csv
import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .models import AuditEvent

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


def rows(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    for e in events:
        yield writer.writerow([safe_cell(v) for v in (
            e.id, timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_username, e.department_code,
            e.role_label, e.action_label, e.action, e.target_id, e.get_outcome_display(), e.channel, e.ip, e.request_id,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
        )])
