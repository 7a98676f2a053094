"""Pure delivery rules: backoff, coalescing, file naming, identifier formats."""
import datetime
import re
import uuid
from dataclasses import dataclass

from core.normalize import ATENA_PATTERN

from .flag_kinds import FLAG_KINDS
from .windows import JST

ATENA_RE = re.compile(ATENA_PATTERN)
INFO_CODE_RE = re.compile(r"^TM[0-9]{14}$")


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff after the `attempts`-th failed try (1 → base, 2 → 2·base …)."""
    return min(cap, base * 2.0 ** max(0, attempts - 1))


def is_dead(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


@dataclass(frozen=True)
class PendingOp:
    id: uuid.UUID
    unit_type: str
    unit_key: str
    flag_kind: str
    action: str
    created_at: datetime.datetime
    unit_seq: int  # place in its unit's order: the higher one is newer (ADR 0084)


def coalesce(ops: list[PendingOp]) -> tuple[list[PendingOp], dict[uuid.UUID, uuid.UUID]]:
    """Collapse operations on the same (unit, flag) to the latest approved one: the net state.

    Returns (operations to send, in first-seen order of their unit; {covered id: covering id}).
    "Latest" within a unit is the highest unit_seq; created_at only orders units among each
    other (first come, first in the file). Sending a release for a flag that was never reflected
    is harmless and keeps the rule simple: the server ends in the latest approved state either way."""
    latest: dict[tuple[str, str, str], PendingOp] = {}
    for op in sorted(ops, key=lambda o: (o.created_at, str(o.id))):
        key = (op.unit_type, op.unit_key, op.flag_kind)
        if key not in latest or latest[key].unit_seq < op.unit_seq:
            latest[key] = op  # a key seen before keeps its place in the dict: the unit's first-seen order
    covered = {op.id: latest[(op.unit_type, op.unit_key, op.flag_kind)].id
               for op in ops if latest[(op.unit_type, op.unit_key, op.flag_kind)].id != op.id}
    return list(latest.values()), covered


def batch_file_name(*, flag_kind: str, municipality_code: str, window_at: datetime.datetime,
                    reception_number: str) -> str:
    return f"FLAG_{flag_kind}_{municipality_code}_{window_at.astimezone(JST):%Y%m%d%H%M}_{reception_number}.xml"


def flag_kind_from_file_name(name: str) -> str | None:
    for kind in FLAG_KINDS:
        if name.startswith(f"FLAG_{kind}_"):
            return kind
    return None
