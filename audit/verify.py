import json
import multiprocessing
import os
import time
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import connection, connections, transaction

from . import chain, sinks
from .models import AuditAnchor, AuditEvent, AuditEventTarget, ChainHead, VerificationRun

FULL, INCREMENTAL = "full", "incremental"


@dataclass
class VerifyResult:
    ok: bool
    checked: int  # events verified by this run (a full run from event 1: the last id verified)
    first_bad_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    external_checked: int = 0  # records of the sinks outside the database that matched
    head_hash: str = chain.GENESIS  # the hash of the last event verified (event `last_id`)
    missing: tuple[int, int] | None = None  # a truncated tail: the event ids from–to known to be gone
    mode: str = FULL
    first_id: int = 1  # the first event this run walked
    last_id: int = 0  # the last event verified good (the run's end, or the one before the bad one)
    complete: bool = True  # reached the head; False: stopped at its budget, the next run continues
    workers: int = 1


@dataclass(frozen=True)
class Claim:
    """A record, kept apart from the events, of how far the chain reached and with which hash."""

    source: str  # as the auditors read it: 「アンカー#3」「外部記録 anchor#3（5 行目）」
    event_id: int
    head_hash: str | None  # None: a count only
    counted_as: str = ""  # "anchor" | "external": which of VerifyResult's tallies a match adds to


@dataclass
class Segment:
    """What one walk over a contiguous run of ids found. Ranges walked apart (in parallel, or a
    day's events after the last verified point) are joined by `first_prev_hash`: each event
    stores its predecessor's hash, so a range verifies on its own and only its first link is
    checked by whoever knows the range before it."""

    first_id: int
    first_prev_hash: str | None  # the first row's stored prev_hash (None: no row)
    last_id: int  # the last good id (first_id - 1 if none)
    last_hash: str
    bad_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    external_checked: int = 0
    hit_claims: dict[int, dict] = field(default_factory=dict)  # event id → what its detail says it matched
    stopped: bool = False  # the budget ran out before the range's end


def _walk(rows, first_id: int, prev_hash: str | None, by_id: dict[int, list[Claim]],
          deadline: float | None = None) -> Segment:
    """Ids must run from first_id without gaps and every hash must link; a claim about an event
    of the range must hold. prev_hash None: the range's first link is the caller's to join."""
    seg = Segment(first_id, None, first_id - 1, prev_hash or "")
    expected_id = first_id
    for row in rows:
        if seg.first_prev_hash is None:
            seg.first_prev_hash = row["prev_hash"]
            if prev_hash is None:
                prev_hash = row["prev_hash"]
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
                seg.anchors_checked += claim.counted_as == "anchor"
                seg.external_checked += claim.counted_as == "external"
        if bad:
            seg.bad_id, seg.reason = row["id"], bad
            return seg
        detail = row["detail"]
        if isinstance(detail, dict) and "hits_sha256" in detail:
            seg.hit_claims[row["id"]] = {k: detail.get(k) for k in ("hit_count", "hits_sha256")}
        prev_hash = row["hash"]
        seg.last_id, seg.last_hash = expected_id, prev_hash
        expected_id += 1
        # Checked between rows, but the rows arrive a batch at a time: a run overruns its
        # budget by one batch at most.
        if deadline is not None and expected_id % 1000 == 0 and time.monotonic() > deadline:
            seg.stopped = True
            return seg
    return seg


def _claims() -> tuple[list[Claim], set[int], set[int], list[sinks.ExternalLog]]:
    claims, db_anchor_ids, run_ids = _db_claims()
    logs = sinks.external_logs()
    for log in logs:
        # Without the file's path: the reason is kept to 200 characters and the range must fit.
        claims += [Claim(f"外部記録 {r.kind}#{r.record_id}（{r.line} 行目）", r.last_event_id,
                         r.head_hash, "external") for r in log.records if r.last_event_id > 0]
    return claims, db_anchor_ids, run_ids, logs


def _by_id(claims: list[Claim]) -> dict[int, list[Claim]]:
    by_id: dict[int, list[Claim]] = {}
    for claim in claims:
        by_id.setdefault(claim.event_id, []).append(claim)
    return by_id


def verify_chain(batch_size: int = 10_000, *, workers: int | None = None) -> VerifyResult:
    """Walk the whole log: ids must run 1..n without gaps and every hash must link. Then
    every record of how far the chain reached must still hold: the anchors in the database, the
    chain head row, the furthest point a verification recorded, and every line of the sinks
    outside the database (audit/sinks.py). A record beyond the last event is a truncated tail.

    With more than one worker (default settings.AUDIT_VERIFY_WORKERS, the machine's cores) a
    long chain is cut into id ranges verified in parallel processes and joined at their
    boundaries (verify_ranges). The records are read before the events, so an event appended
    meanwhile only lengthens the chain beyond them."""
    claims, db_anchor_ids, run_ids, logs = _claims()
    by_id = _by_id(claims)
    workers = _workers(workers)
    head = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if workers > 1 and head >= settings.AUDIT_VERIFY_PARALLEL_MIN_EVENTS:
        seg = verify_ranges(1, head, by_id, workers=workers, batch_size=batch_size)
    else:
        workers = 1
        # closing(): a verification that stops at the first bad event ends the reading
        # transaction at once, before the caller writes its result.
        with closing(_rows_in_id_order(batch_size)) as rows:
            seg = _walk(rows, 1, chain.GENESIS, by_id)
    return _conclude(seg, claims, db_anchor_ids, run_ids, logs, mode=FULL, workers=workers)


def _workers(workers: int | None) -> int:
    if workers is None:
        workers = settings.AUDIT_VERIFY_WORKERS or os.cpu_count() or 1
    # A Celery prefork child is a daemonic process, which may not start processes of its own;
    # an in-memory SQLite database (the tests') is not there for another process.
    name = str(connection.settings_dict["NAME"])
    if multiprocessing.current_process().daemon or (
            connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)):
        return 1
    return max(1, workers)


def verify_ranges(lo: int, hi: int, by_id: dict[int, list[Claim]], *, workers: int,
                  batch_size: int = 10_000) -> Segment:
    """Events lo..hi in `workers` processes, one id range each, joined: the first failing range
    in id order decides, and a range whose first stored prev_hash is not the hash the range
    before it ended with is a broken link at that boundary. The processes are forked after this
    one's connections are closed, so each opens its own (on the same database)."""
    size = -(-(hi - lo + 1) // workers)
    bounds = [(a, min(a + size - 1, hi)) for a in range(lo, hi + 1, size)]
    connections.close_all()
    with ProcessPoolExecutor(max_workers=len(bounds), mp_context=multiprocessing.get_context("fork")) as pool:
        segments = list(pool.map(_verify_range, bounds, [by_id] * len(bounds), [batch_size] * len(bounds)))
    joined = Segment(lo, None, lo - 1, chain.GENESIS if lo == 1 else "")
    for (a, b), seg in zip(bounds, segments, strict=True):
        joined.anchors_checked += seg.anchors_checked
        joined.external_checked += seg.external_checked
        joined.hit_claims.update(seg.hit_claims)
        failed_at_once = seg.bad_id is not None and seg.last_id == a - 1  # its first row: a gap, or altered
        if a == lo:
            joined.first_prev_hash = seg.first_prev_hash
        if not failed_at_once and seg.first_prev_hash is not None and (a > lo or lo == 1) \
                and seg.first_prev_hash != joined.last_hash:
            joined.bad_id, joined.reason = a, "直前のイベントとの連結が一致しません"
            return joined
        joined.last_id, joined.last_hash = seg.last_id, seg.last_hash
        if seg.bad_id is not None:
            joined.bad_id, joined.reason = seg.bad_id, seg.reason
            return joined
        if seg.last_id != b:  # the range ended early: its last ids are gone
            gone = seg.last_id + 1
            joined.bad_id, joined.reason = gone, f"id {gone} が欠落しています（削除または並べ替え）"
            return joined
    return joined


def _verify_range(bounds: tuple[int, int], by_id: dict[int, list[Claim]], batch_size: int) -> Segment:
    lo, hi = bounds
    try:
        with closing(_rows_in_id_order(batch_size, lo, hi)) as rows:
            return _walk(rows, lo, None, by_id)
    finally:
        connections.close_all()


def verify_incremental(batch_size: int = 10_000, *, max_events: int | None = None,
                       budget_seconds: float | None = None) -> VerifyResult:
    """The daily verification: from the last verified point (a good run, also found in the
    sink outside the database when there is one) to the head, O(new events), never longer than
    its budget (settings.AUDIT_VERIFY_BUDGET_SECONDS, at most AUDIT_VERIFY_MAX_EVENTS_PER_RUN
    events; the next run continues where this one stopped).

    The event at the starting point must still carry the hash recorded for it, and every
    anchor and external record before it must still match its event (one indexed read each):
    a chain rewritten anywhere since it was verified shows. An event altered before the
    starting point without recomputing the hashes after it is the full verification's to find
    (`audit_verify`, on demand)."""
    claims, db_anchor_ids, run_ids, logs = _claims()
    budget = settings.AUDIT_VERIFY_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    max_events = settings.AUDIT_VERIFY_MAX_EVENTS_PER_RUN if max_events is None else max_events
    deadline = time.monotonic() + budget
    start_id, start_hash = _verified_point(logs)
    earlier = [c for c in claims if c.event_id <= start_id and c.head_hash is not None]
    if start_id:
        earlier.append(Claim("直前の検証結果", start_id, start_hash))
    bad = _claims_before(earlier)
    if bad is not None:
        seg = Segment(start_id + 1, None, start_id, start_hash, bad_id=bad[0], reason=bad[1])
        return _conclude(seg, claims, db_anchor_ids, run_ids, logs, mode=INCREMENTAL, complete_check=False)
    hi = start_id + max_events if max_events else None
    with closing(_rows_in_id_order(batch_size, start_id + 1, hi)) as rows:
        seg = _walk(rows, start_id + 1, start_hash if start_id else chain.GENESIS,
                    _by_id([c for c in claims if c.event_id > start_id]), deadline)
    if hi is not None and seg.last_id == hi and seg.bad_id is None:
        more = AuditEvent.objects.filter(id__gt=hi).exists()
        seg.stopped = seg.stopped or more
    return _conclude(seg, claims, db_anchor_ids, run_ids, logs, mode=INCREMENTAL)


def _verified_point(logs: list[sinks.ExternalLog]) -> tuple[int, str]:
    """The furthest point a good run verified: (last event id, its hash), or (0, GENESIS). A
    run a superuser could have inserted counts only when the sink outside the database holds
    it too (if a readable sink is configured)."""
    external = {r.record_id: (r.last_event_id, r.head_hash) for log in logs for r in log.records
                if r.kind == "verification" and r.ok}
    runs = (VerificationRun.objects.filter(ok=True, last_event_id__gt=0).exclude(head_hash="")
            .order_by("-last_event_id", "-id").values_list("id", "last_event_id", "head_hash"))
    for pk, last_id, head_hash in runs.iterator(chunk_size=100):
        if last_id is not None and (not logs or external.get(pk) == (last_id, head_hash)):
            return last_id, head_hash
    return 0, chain.GENESIS


def _claims_before(claims: list[Claim]) -> tuple[int, str] | None:
    """The first claim about an already verified event that its event no longer matches."""
    hashes: dict[int, str] = {}
    ids = sorted({c.event_id for c in claims})
    for i in range(0, len(ids), 1000):
        hashes.update(AuditEvent.objects.filter(id__in=ids[i:i + 1000]).values_list("id", "hash"))
    for claim in sorted(claims, key=lambda c: c.event_id):
        found = hashes.get(claim.event_id)
        if found is None:
            return claim.event_id, f"id {claim.event_id} が欠落しています（削除）（{claim.source} の記録）"
        if found != claim.head_hash:
            return claim.event_id, f"{claim.source} のハッシュと一致しません（チェーンの書換え）"
    return None


def _conclude(seg: Segment, claims: list[Claim], db_anchor_ids: set[int], run_ids: set[int],
              logs: list[sinks.ExternalLog], *, mode: str, workers: int = 1, complete_check: bool = True
              ) -> VerifyResult:
    walked = seg.last_id - seg.first_id + 1
    result = VerifyResult(True, walked, anchors_checked=seg.anchors_checked, external_checked=seg.external_checked,
                          head_hash=seg.last_hash or chain.GENESIS, mode=mode, first_id=seg.first_id,
                          last_id=seg.last_id, complete=not seg.stopped, workers=workers)
    if seg.bad_id is not None:
        return replace(result, ok=False, first_bad_id=seg.bad_id, reason=seg.reason)
    if not complete_check or seg.stopped:
        return result
    checked = seg.last_id
    beyond = [c for c in claims if c.event_id > checked]
    if beyond:
        furthest = max(beyond, key=lambda c: c.event_id)
        last = furthest.event_id
        return replace(result, ok=False, first_bad_id=checked + 1, missing=(checked + 1, last),
                       reason=f"末尾の削除：イベント id {checked + 1}〜{last} の {last - checked} 件が"
                              f"ありません（{furthest.source} は id {last} まで記録）")
    bad_hits = _hits_mismatch(seg.hit_claims, seg.first_id, checked)
    if bad_hits is not None:
        return replace(result, ok=False, first_bad_id=bad_hits,
                       reason=f"イベント id {bad_hits} の照合した対象者の記録が一致しません（行の削除・追加）")
    for log in logs:
        if log.problem:
            return replace(result, ok=False, reason=log.problem)
        for r in log.records:
            if (r.kind == "anchor" and r.record_id not in db_anchor_ids) or \
                    (r.kind == "verification" and r.record_id not in run_ids):
                name = "アンカー" if r.kind == "anchor" else "検証結果"
                return replace(result, ok=False,
                               reason=f"外部記録にある{name}#{r.record_id} がデータベースにありません（削除）")
    return result


def _hits_mismatch(claims: dict[int, dict], first: int, checked: int) -> int | None:
    """The first event whose AuditEventTarget rows (ADR 0017: who-has-seen reads them) no longer
    match the count and digest its chained detail holds, or that has rows it never claimed.
    The rows are append-only by triggers; only someone who bypassed them changes one."""
    rows = (AuditEventTarget.objects.filter(event_id__gte=first, event_id__lte=checked)
            .order_by("event_id", "target_id").values_list("event_id", "target_id").iterator(chunk_size=10_000))
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
    # How far each run verified: its last event (a run from before incremental runs has only
    # its count, which was the same number: it started at event 1).
    runs = {pk: last_id if last_id is not None else checked
            for pk, last_id, checked in VerificationRun.objects.values_list("id", "last_event_id", "checked")}
    if runs:
        best = max(runs, key=lambda pk: runs[pk])
        if runs[best] > 0:
            claims.append(Claim(f"検証#{best} の件数", runs[best], None))
    return claims, {pk for pk, _, _ in anchors}, set(runs)


_FIELDS = list(chain.CHAINED_FIELDS) + ["prev_hash", "hash"]


def _rows_in_id_order(batch_size: int, lo: int | None = None, hi: int | None = None) -> Generator[dict, None, None]:
    """Every event (or those with ids lo..hi) as a dict of the chained fields, in id order, a
    batch at a time.

    On PostgreSQL the rows come through a plain server-side cursor, with occurred_at already
    as the ISO text the chain hashes (UTC): at 1,000,000 events, the ORM's per-row
    conversions cost more than the hashing."""
    if connection.vendor != "postgresql":
        qs = AuditEvent.objects.order_by("id")
        if lo is not None:
            qs = qs.filter(id__gte=lo)
        if hi is not None:
            qs = qs.filter(id__lte=hi)
        yield from qs.values(*_FIELDS).iterator(chunk_size=batch_size)
        return
    columns = ", ".join(
        "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')" if name == "occurred_at"
        else f'"{name}"' for name in _FIELDS)
    where = f"WHERE id >= {int(lo or 1)}" + (f" AND id <= {int(hi)}" if hi is not None else "")
    with transaction.atomic(), connection.cursor() as cur:
        # Column and table names come from the model, bounds are ints, nothing from input.
        cur.execute(f'DECLARE audit_verify NO SCROLL CURSOR FOR SELECT {columns} FROM "{AuditEvent._meta.db_table}" '  # noqa: S608
                    f"{where} ORDER BY id")
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
