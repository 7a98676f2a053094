import json
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction

from . import chain, sinks
from .models import AuditAnchor, AuditEvent, AuditEventTarget, ChainHead, VerificationRun


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    external_checked: int = 0  # records of the sinks outside the database that matched
    head_hash: str = chain.GENESIS  # the hash of the last event verified (event `checked`)
    missing: tuple[int, int] | None = None  # a truncated tail: the event ids from–to known to be gone


@dataclass(frozen=True)
class Claim:
    """A record, kept apart from the events, of how far the chain reached and with which hash."""

    source: str  # as the auditors read it: 「アンカー#3」「外部記録 anchor#3（5 行目）」
    event_id: int
    head_hash: str | None  # None: a count only
    counted_as: str = ""  # "anchor" | "external": which of VerifyResult's tallies a match adds to


def verify_chain(batch_size: int = 10_000) -> VerifyResult:
    """Walk the log in id order: ids must run 1..n without gaps and every hash must link. Then
    every record of how far the chain reached must still hold: the anchors in the database, the
    chain head row, the largest count a verification recorded, and every line of the sinks
    outside the database (audit/sinks.py). A record beyond the last event is a truncated tail.

    The records are read before the events, so an event appended meanwhile only lengthens the
    chain beyond them."""
    claims, db_anchor_ids, run_ids = _db_claims()
    logs = sinks.external_logs()
    for log in logs:
        # Without the file's path: the reason is kept to 200 characters and the range must fit.
        claims += [Claim(f"外部記録 {r.kind}#{r.record_id}（{r.line} 行目）", r.last_event_id,
                         r.head_hash, "external") for r in log.records if r.last_event_id > 0]
    by_id: dict[int, list[Claim]] = {}
    for claim in claims:
        by_id.setdefault(claim.event_id, []).append(claim)
    prev_hash = chain.GENESIS
    expected_id = 1
    anchors_checked = external_checked = 0
    hit_claims: dict[int, dict] = {}  # event id → what the chained event says it matched
    # closing(): a verification that stops at the first bad event ends the reading
    # transaction at once, before the caller writes its result.
    with closing(_rows_in_id_order(batch_size)) as rows:
        for row in rows:
            bad = None
            if row["id"] != expected_id:
                bad = f"id {expected_id} が欠落しています（削除または並べ替え）"
            elif row["prev_hash"] != prev_hash:
                bad = "直前のイベントとの連結が一致しません"
            elif chain.link(prev_hash, row) != row["hash"]:
                bad = "内容がハッシュと一致しません（改ざん）"
            else:
                for claim in by_id.get(row["id"], ()):
                    if claim.head_hash is not None and claim.head_hash != row["hash"]:
                        bad = f"{claim.source} のハッシュと一致しません（チェーンの書換え）"
                        break
                    anchors_checked += claim.counted_as == "anchor"
                    external_checked += claim.counted_as == "external"
            if bad:
                return VerifyResult(False, expected_id - 1, row["id"], bad, anchors_checked, external_checked,
                                    prev_hash)
            detail = row["detail"]
            if isinstance(detail, dict) and "hits_sha256" in detail:
                hit_claims[row["id"]] = {k: detail.get(k) for k in ("hit_count", "hits_sha256")}
            prev_hash = row["hash"]
            expected_id += 1
    checked = expected_id - 1
    intact = VerifyResult(True, checked, anchors_checked=anchors_checked, external_checked=external_checked,
                          head_hash=prev_hash)
    beyond = [c for c in claims if c.event_id > checked]
    if beyond:
        furthest = max(beyond, key=lambda c: c.event_id)
        last = furthest.event_id
        return replace(intact, ok=False, first_bad_id=checked + 1, missing=(checked + 1, last),
                       reason=f"末尾の削除：イベント id {checked + 1}〜{last} の {last - checked} 件が"
                              f"ありません（{furthest.source} は id {last} まで記録）")
    bad_hits = _hits_mismatch(hit_claims, checked)
    if bad_hits is not None:
        return replace(intact, ok=False, first_bad_id=bad_hits,
                       reason=f"イベント id {bad_hits} の照合した対象者の記録が一致しません（行の削除・追加）")
    for log in logs:
        if log.problem:
            return replace(intact, ok=False, reason=log.problem)
        for r in log.records:
            if (r.kind == "anchor" and r.record_id not in db_anchor_ids) or \
                    (r.kind == "verification" and r.record_id not in run_ids):
                name = "アンカー" if r.kind == "anchor" else "検証結果"
                return replace(intact, ok=False,
                               reason=f"外部記録にある{name}#{r.record_id} がデータベースにありません（削除）")
    return intact


def _hits_mismatch(claims: dict[int, dict], checked: int) -> int | None:
    """The first event whose AuditEventTarget rows (ADR 0017: who-has-seen reads them) no longer
    match the count and digest its chained detail holds, or that has rows it never claimed.
    The rows are append-only by triggers; only someone who bypassed them changes one."""
    rows = (AuditEventTarget.objects.filter(event_id__lte=checked).order_by("event_id", "target_id")
            .values_list("event_id", "target_id").iterator(chunk_size=10_000))
    seen: set[int] = set()
    for event_id, group in groupby(rows, key=itemgetter(0)):
        seen.add(event_id)
        if claims.get(event_id) != chain.hits_digest([t for _, t in group]):
            return event_id
    empty = chain.hits_digest([])
    return next((eid for eid, claim in sorted(claims.items()) if eid not in seen and claim != empty), None)


def _db_claims() -> tuple[list[Claim], set[int], set[int]]:
    """The database's own records of the chain's reach (which a superuser can realign, hence
    the sinks), and the ids of the anchors and verification runs it still holds."""
    anchors = list(AuditAnchor.objects.values_list("id", "head_event_id", "head_hash"))
    claims = [Claim(f"アンカー#{pk}", event_id, head_hash, "anchor") for pk, event_id, head_hash in anchors]
    head = ChainHead.objects.filter(pk=1).values_list("last_id", "last_hash").first()
    if head and head[0] > 0:
        claims.append(Claim("チェーン先頭の記録", head[0], head[1]))
    runs = dict(VerificationRun.objects.values_list("id", "checked"))
    if runs:
        best = max(runs, key=lambda pk: runs[pk])
        if runs[best] > 0:
            claims.append(Claim(f"検証#{best} の件数", runs[best], None))
    return claims, {pk for pk, _, _ in anchors}, set(runs)


_FIELDS = list(chain.CHAINED_FIELDS) + ["prev_hash", "hash"]


def _rows_in_id_order(batch_size: int):
    """Every event as a dict of the chained fields, in id order, a batch at a time.

    On PostgreSQL the rows come through a plain server-side cursor, with occurred_at already
    as the ISO text the chain hashes (UTC): at 1,000,000 events, the ORM's per-row
    conversions cost more than the hashing."""
    if connection.vendor != "postgresql":
        yield from AuditEvent.objects.order_by("id").values(*_FIELDS).iterator(chunk_size=batch_size)
        return
    columns = ", ".join(
        "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')" if name == "occurred_at"
        else f'"{name}"' for name in _FIELDS)
    with transaction.atomic(), connection.cursor() as cur:
        # Column and table names come from the model, nothing from input.
        cur.execute(f'DECLARE audit_verify NO SCROLL CURSOR FOR SELECT {columns} FROM "{AuditEvent._meta.db_table}" '  # noqa: S608
                    "ORDER BY id")
        detail_at = _FIELDS.index("detail")
        while batch := _fetch(cur, batch_size):
            for values in batch:
                row = dict(zip(_FIELDS, values, strict=True))
                if isinstance(values[detail_at], str):
                    row["detail"] = json.loads(values[detail_at])
                yield row
        cur.execute("CLOSE audit_verify")


def _fetch(cur, size: int) -> list:
    cur.execute(f"FETCH {int(size)} FROM audit_verify")
    return cur.fetchall()
