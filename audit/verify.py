from dataclasses import dataclass

from . import chain
from .models import AuditEvent


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Walk the log in id order; ids must be 1..n without gaps and every hash must link."""
    prev_hash = chain.GENESIS
    expected_id = 1
    checked = 0
    fields = list(chain.CHAINED_FIELDS) + ["prev_hash", "hash"]
    for row in AuditEvent.objects.order_by("id").values(*fields).iterator(chunk_size=batch_size):
        if row["id"] != expected_id:
            return VerifyResult(False, checked, row["id"], f"id {expected_id} が欠落しています（削除または並べ替え）")
        if row["prev_hash"] != prev_hash:
            return VerifyResult(False, checked, row["id"], "直前のイベントとの連結が一致しません")
        if chain.link(prev_hash, row) != row["hash"]:
            return VerifyResult(False, checked, row["id"], "内容がハッシュと一致しません（改ざん）")
        prev_hash = row["hash"]
        expected_id += 1
        checked += 1
    return VerifyResult(True, checked)
