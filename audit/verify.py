from dataclasses import dataclass

from . import chain
from .models import AuditAnchor, AuditEvent


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0


def verify_chain(batch_size: int = 10_000) -> VerifyResult:
    """Walk the log in id order: ids must run 1..n without gaps, every hash must link, and
    every anchor's head must still be in the chain with the hash it had."""
    anchors = {a.head_event_id: a for a in AuditAnchor.objects.all()}
    prev_hash = chain.GENESIS
    expected_id = 1
    anchors_checked = 0
    fields = list(chain.CHAINED_FIELDS) + ["prev_hash", "hash"]
    for row in AuditEvent.objects.order_by("id").values(*fields).iterator(chunk_size=batch_size):
        bad = None
        if row["id"] != expected_id:
            bad = f"id {expected_id} が欠落しています（削除または並べ替え）"
        elif row["prev_hash"] != prev_hash:
            bad = "直前のイベントとの連結が一致しません"
        elif chain.link(prev_hash, row) != row["hash"]:
            bad = "内容がハッシュと一致しません（改ざん）"
        elif row["id"] in anchors:
            if anchors[row["id"]].head_hash != row["hash"]:
                bad = f"アンカー#{anchors[row['id']].pk} のハッシュと一致しません（チェーンの書換え）"
            anchors_checked += 1
        if bad:
            return VerifyResult(False, expected_id - 1, row["id"], bad, anchors_checked)
        prev_hash = row["hash"]
        expected_id += 1
    checked = expected_id - 1
    beyond = [a for a in anchors.values() if a.head_event_id > checked]
    if beyond:
        first = min(beyond, key=lambda a: a.head_event_id)
        return VerifyResult(False, checked, checked + 1,
                            f"アンカー#{first.pk} 時点のイベント {first.head_event_id} 件に対し {checked} 件しかありません（末尾の削除）",
                            anchors_checked)
    return VerifyResult(True, checked, anchors_checked=anchors_checked)
