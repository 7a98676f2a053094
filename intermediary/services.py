"""Every write of the intermediary app: delivery state machine, batches, results,
sweeper, reconciliation, retries and the info_code four-eyes flow.

Which of two operations of one unit (unit, flag) is newer is decided by Operation.unit_seq,
handed out under the FlagState row lock, never by created_at (ADR 0084).

The Operation row is the truth; Celery messages only say "look now". Every function here
is safe to run twice or concurrently: claims use row locks (SKIP LOCKED), a batch is unique
per (flag kind, window) and resumes instead of doubling, results are matched by record id
and applied once. Lock order: Batch, then Operation rows, then FlagState rows."""
import datetime
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Coalesce

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.policy import Capability

from . import batch_xml, channels, clock, fault_hooks, result_claims, rules
from .dispatch import nudge_delivery
from .models import (
    Alert,
    AlertKind,
    Batch,
    BatchStatus,
    Channel,
    FlagKind,
    FlagState,
    InfoCodeChangeRequest,
    InfoCodeChangeStatus,
    Operation,
    OperationAction,
    OperationStatus,
    UnitType,
)
from .windows import JST, WindowConfig

log = logging.getLogger(__name__)
WORKER = "intermediary-worker"
OPEN = (OperationStatus.PENDING, OperationStatus.CLAIMED, OperationStatus.SENT, OperationStatus.FAILED)


def _audit(action: AuditAction, *, actor: Staff | None = None, **detail: object) -> None:
    audit_record(actor=actor, username="" if actor else WORKER, action=action, detail=detail)


_OPERATION_OUTCOME_ACTIONS = {
    OperationStatus.FAILED: AuditAction.INTERMEDIARY_OPERATION_FAILED,
    OperationStatus.DEAD: AuditAction.INTERMEDIARY_OPERATION_DEAD,
}


def desired_flags_apply(*, atena_no: str, wanted: frozenset[str], change_request_id: int,
                        now: datetime.datetime) -> list[Operation]:
    """The one entry point from an approved change to the outbox: move the desired
    FlagState of one person's atena_no to `wanted` and insert one Operation per flag whose
    desired value changes (none for a flag already set, none to release a flag never set).
    Runs in the caller's transaction; after it commits, the worker is asked to look now."""
    operations = []
    for kind in FlagKind.values:
        want = kind in wanted
        state = _unit_locked(UnitType.ATENA, atena_no, kind)
        if state.desired == want and state.desired_at is not None:
            continue
        if not want and state.desired_at is None:
            continue  # never set, nothing to release
        state.desired, state.desired_at = want, now
        state.save(update_fields=["desired", "desired_at"])
        operations.append(_next_operation(state, OperationAction.SET if want else OperationAction.RELEASE,
                                          change_request_id=change_request_id))
    Operation.objects.bulk_create(operations)
    if operations:
        # The outbox rows are the truth; after commit this only asks the worker to look now.
        _nudge_after_commit([o.id for o in operations])
    return operations


def _unit_locked(unit_type: str, unit_key: str, flag_kind: str) -> FlagState:
    """The unit's FlagState row, created if missing and locked until the transaction ends:
    every outbox write and every web-service claim of the unit queues on this row."""
    state, _ = FlagState.objects.select_for_update().get_or_create(
        unit_type=unit_type, unit_key=unit_key, flag_kind=flag_kind)
    return state


def _next_operation(state: FlagState, action: str, **links: object) -> Operation:
    """An unsaved outbox row for the locked `state`'s unit, numbered next in that unit's order.

    The number comes from the row lock, not from a clock: two approvals of one person get 1, 2
    in the order their transactions took the lock, even in the same microsecond or on two web
    hosts whose clocks differ (ADR 0084). The caller saves the row in the same transaction."""
    state.seq += 1
    state.save(update_fields=["seq"])
    return Operation(unit_type=state.unit_type, unit_key=state.unit_key, flag_kind=state.flag_kind, action=action,
                     unit_seq=state.seq, **links)


def window_config() -> WindowConfig:
    return WindowConfig.from_settings(settings)


def _ids(ops: Iterable[Any]) -> list[str]:
    return [str(o if not hasattr(o, "pk") else o.pk) for o in ops]


def _unit_q(op: Operation) -> Q:
    return Q(unit_type=op.unit_type, unit_key=op.unit_key, flag_kind=op.flag_kind)


def unit_cause(unit_type: str, unit_key: str, flag_kind: str) -> str:
    """The cause of an alert about one unit and flag (a mismatch, a delivery failing too long)."""
    return f"unit:{unit_type}:{unit_key}:{flag_kind}"


def alert_open(*, kind: str, cause: str, now: datetime.datetime, **fields: object) -> Alert:
    """The open alert of this cause, created if there is none (ADR 0076). The partial unique
    constraint on open alerts decides a race: get_or_create retries the read after losing it,
    so two workers hitting the same cause at once end with one alert."""
    alert, _ = Alert.objects.get_or_create(
        kind=kind, cause=cause, resolved_at=None, defaults={"created_at": now, **fields}
    )
    return alert


def _mark_reflected(ops: list[Operation], now: datetime.datetime) -> None:
    """OK from the server: the operation and everything it covered are reflected, and the
    FlagState shows the server's state and when it got there."""
    ids = [o.pk for o in ops]
    Operation.objects.filter(Q(pk__in=ids) | Q(covered_by__in=ids)).update(
        status=OperationStatus.REFLECTED, reflected_at=now, sent_at=Coalesce(F("sent_at"), Value(now)),
        last_error_code="", last_error_message="", failing_since=None)
    _failing_alerts_resolve(ops, now)
    ops = _not_overtaken(ops, ids)
    for action in (OperationAction.SET, OperationAction.RELEASE):
        keys = [(o.unit_type, o.unit_key, o.flag_kind) for o in ops if o.action == action]
        for unit_type, kind in {(k[0], k[2]) for k in keys}:
            FlagState.objects.filter(unit_type=unit_type, flag_kind=kind,
                                     unit_key__in=[k[1] for k in keys if k[0] == unit_type and k[2] == kind]).update(
                reflected=(action == OperationAction.SET), reflected_at=now)


def _not_overtaken(ops: list[Operation], ids: list[Any]) -> list[Operation]:
    """The operations whose result may set FlagState's reflected side: not those for which a
    newer operation on the same unit and flag is already reflected. The server applies in
    window order, so a result read late (files read out of order) is an older state."""
    newest: dict[tuple[str, str, str], int] = {}
    rows = (Operation.objects.filter(status=OperationStatus.REFLECTED, unit_key__in={o.unit_key for o in ops})
            .exclude(pk__in=ids).values("unit_type", "unit_key", "flag_kind").annotate(latest=Max("unit_seq")))
    for row in rows:
        newest[(row["unit_type"], row["unit_key"], row["flag_kind"])] = row["latest"]
    return [o for o in ops if newest.get((o.unit_type, o.unit_key, o.flag_kind), 0) < o.unit_seq]


def _mark_failed(op: Operation, *, code: str, message: str, now: datetime.datetime) -> Operation:
    """Failed: retried with exponential backoff; at the attempt limit it is dead and a human
    is alerted. A covered operation shares the fate of the one that covered it."""
    op.last_error_code, op.last_error_message = code[:20], message[:200]
    if op.failing_since is None:
        op.failing_since = now
    if rules.is_dead(op.attempts, settings.INTERMEDIARY_MAX_ATTEMPTS):
        op.status, op.next_attempt_at = OperationStatus.DEAD, None
        alert_open(kind=AlertKind.DEAD, cause=f"operation:{op.pk}", now=now, unit_type=op.unit_type,
                   unit_key=op.unit_key, flag_kind=op.flag_kind, operation=op,
                   detail={"operation_id": str(op.pk), "code": op.last_error_code, "attempts": op.attempts})
    else:
        op.status = OperationStatus.FAILED
        wait = rules.backoff_seconds(op.attempts, base=settings.INTERMEDIARY_BACKOFF_BASE_SECONDS,
                                     cap=settings.INTERMEDIARY_BACKOFF_MAX_SECONDS)
        op.next_attempt_at = now + datetime.timedelta(seconds=wait)
    op.save(update_fields=["status", "next_attempt_at", "last_error_code", "last_error_message", "failing_since"])
    Operation.objects.filter(covered_by=op).update(status=op.status)
    _audit(
        _OPERATION_OUTCOME_ACTIONS[op.status], operation_ids=[str(op.pk)], code=op.last_error_code, attempts=op.attempts
    )
    return op


def _due_q(now: datetime.datetime) -> Q:
    return Q(status=OperationStatus.PENDING) | Q(status=OperationStatus.FAILED, next_attempt_at__lte=now)


def _superseded(op: Operation) -> bool:
    """A later approval on the same (unit, flag) decides the net state: an older operation is
    then covered by it and never sent alone (a late retry must not overwrite newer state)."""
    newest = (
        Operation.objects.filter(_unit_q(op), unit_seq__gt=op.unit_seq, covered_by__isnull=True)
        .order_by("-unit_seq")
        .first()
    )
    if newest is None:
        return False
    Operation.objects.filter(Q(pk=op.pk) | Q(covered_by=op)).update(
        covered_by=newest,
        batch=None,
        record_no=None,
        status=newest.status
        if newest.status in (OperationStatus.REFLECTED, OperationStatus.DEAD)
        else OperationStatus.SENT,
    )
    _audit(AuditAction.INTERMEDIARY_OPERATION_COVERED, operation_ids=[str(op.pk)], covered_by=str(newest.pk))
    return True


# ---- web service channel ---------------------------------------------------------------


@transaction.atomic
def operation_claim_for_web_service(*, operation_id: uuid.UUID | str, now: datetime.datetime) -> Operation | None:
    """Claim one operation for a single-record call, or None when there is nothing to do now."""
    op = Operation.objects.select_for_update(skip_locked=True).filter(pk=operation_id).first()
    if op is None or not Operation.objects.filter(pk=op.pk).filter(_due_q(now)).exists():
        return None
    if op.covered_by_id is not None:
        return None
    # Serialise per (unit, flag): an older call still in flight must land first, or the
    # server could end in a stale state. The FlagState row lock orders concurrent claims.
    list(FlagState.objects.select_for_update().filter(_unit_q(op)))
    same_unit = Operation.objects.filter(_unit_q(op)).exclude(pk=op.pk)
    if same_unit.filter(status=OperationStatus.CLAIMED).exists():
        return None
    if _superseded(op):
        return None
    op.status, op.claimed_at, op.channel = OperationStatus.CLAIMED, now, Channel.WEB_SERVICE
    op.attempts += 1
    op.save(update_fields=["status", "claimed_at", "channel", "attempts"])
    _audit(AuditAction.INTERMEDIARY_OPERATION_CLAIMED, operation_ids=[str(op.pk)], attempts=op.attempts)
    return op


@transaction.atomic
def operation_record_web_service_result(
    *, operation_id: uuid.UUID | str, result: channels.SendResult, now: datetime.datetime
) -> Operation:
    op = Operation.objects.select_for_update().get(pk=operation_id)
    if op.status == OperationStatus.REFLECTED:
        return op
    if result.ok:
        # Accept OK even if the sweeper re-opened the claim meanwhile: the server has it.
        op.status = OperationStatus.SENT
        _mark_reflected([op], now)
        _audit(AuditAction.INTERMEDIARY_OPERATION_REFLECTED, operation_ids=[str(op.pk)], channel=Channel.WEB_SERVICE)
        op.refresh_from_db()
        return op
    if op.status != OperationStatus.CLAIMED:
        return op  # a stale result of a claim the sweeper already re-opened
    return _mark_failed(op, code=result.code, message=result.message, now=now)


def operation_deliver_web_service(*, operation_id: uuid.UUID | str) -> Operation | None:
    """Claim (commit) → call (no transaction open, no lock held) → record the result.
    Returns the operation as it ended, or None when there was nothing to do."""
    op = operation_claim_for_web_service(operation_id=operation_id, now=clock.now())
    if op is None:
        return None
    result = channels.web_service_send(
        record_id=str(op.pk), unit_type=op.unit_type, unit_key=op.unit_key, flag_kind=op.flag_kind, action=op.action
    )
    return operation_record_web_service_result(operation_id=op.pk, result=result, now=clock.now())


def next_in_line(*, operation: Operation) -> list[str]:
    """Operations on the same (unit, flag) that waited while this one was in flight."""
    return [
        str(i)
        for i in Operation.objects.filter(
            _unit_q(operation), covered_by__isnull=True, status=OperationStatus.PENDING
        ).values_list("pk", flat=True)
    ]


# ---- XML batch channel -----------------------------------------------------------------


def _next_reception_number(now: datetime.datetime) -> str:
    # Unique per file and readable by operators: window-independent time + short random tail.
    return f"{now:%y%m%d%H%M%S}{uuid.uuid4().int % 1000:03d}"[:15]


@transaction.atomic
def batch_open(*, flag_kind: str, window_at: datetime.datetime, now: datetime.datetime) -> Batch | None:
    """Phase 1: fix the batch's content. Due operations of this flag kind are coalesced to the
    net latest state per unit, claimed into one Batch row, and committed before any byte is
    written, so a crash later resumes the same content instead of inventing new content."""
    existing = Batch.objects.select_for_update().filter(flag_kind=flag_kind, window_at=window_at).first()
    if existing is not None:
        # Written, or being written by a live worker right now: never a second file. A build
        # abandoned by a dead worker is resumed by the sweeper once its claim is stale.
        return None
    rows = list(
        Operation.objects.select_for_update(skip_locked=True)
        .filter(_due_q(now), flag_kind=flag_kind, covered_by__isnull=True)
        .order_by("created_at")
        .only("id", "unit_type", "unit_key", "flag_kind", "action", "created_at", "unit_seq", "attempts")
    )
    # Retries are rare: check each against newer approvals already sent in an earlier file.
    rows = [o for o in rows if o.attempts == 0 or not _superseded(o)]
    if not rows:
        return None
    # An operation already in flight for the same unit (an earlier, unresulted file) stays
    # ahead: newer operations still go now, because files are applied in window order.
    to_send, covered = rules.coalesce(
        [rules.PendingOp(o.id, o.unit_type, o.unit_key, o.flag_kind, o.action, o.created_at, o.unit_seq)
         for o in rows]
    )
    reception = _next_reception_number(now)
    batch = Batch.objects.create(
        flag_kind=flag_kind,
        window_at=window_at,
        reception_number=reception,
        created_at=now,
        name=rules.batch_file_name(
            flag_kind=flag_kind,
            municipality_code=settings.MUNICIPALITY_CODE,
            window_at=window_at,
            reception_number=reception,
        ),
    )
    by_id = {o.id: o for o in rows}
    updates = []
    for no, p in enumerate(to_send, start=1):
        o = by_id[p.id]
        o.status, o.batch, o.record_no, o.claimed_at, o.channel = (
            OperationStatus.CLAIMED,
            batch,
            no,
            now,
            Channel.XML_BATCH,
        )
        o.attempts += 1
        o.next_attempt_at = None
        updates.append(o)
    for cid, by in covered.items():
        o = by_id[cid]
        o.status, o.batch, o.record_no, o.covered_by_id, o.claimed_at = OperationStatus.CLAIMED, batch, None, by, now
        o.channel = Channel.XML_BATCH
        updates.append(o)
    Operation.objects.bulk_update(
        updates,
        ["status", "batch", "record_no", "claimed_at", "channel", "attempts", "next_attempt_at", "covered_by"],
        batch_size=2000,
    )
    batch.record_count = len(to_send)
    batch.save(update_fields=["record_count"])
    _audit(
        AuditAction.INTERMEDIARY_BATCH_OPENED,
        batch_id=str(batch.pk),
        flag_kind=flag_kind,
        records=len(to_send),
        covered=len(covered),
        operation_ids=[str(p.id) for p in to_send],
        covered_ids={str(k): str(v) for k, v in covered.items()},
    )
    return batch


def _batch_records(batch: Batch) -> Iterator[batch_xml.Record]:
    qs = (
        Operation.objects.filter(batch=batch, covered_by__isnull=True, record_no__isnull=False)
        .order_by("record_no")
        .values_list("record_no", "id", "unit_type", "unit_key", "flag_kind", "action")
    )
    for no, op_id, unit_type, unit_key, kind, action in qs.iterator(chunk_size=5000):
        yield batch_xml.Record(no or 0, str(op_id), unit_type, unit_key, kind, action)  # record_no filtered non-null


def batch_header(batch: Batch) -> batch_xml.Header:
    return batch_xml.Header(
        msg_id=batch.pk.hex,
        msg_type_id=settings.INTERMEDIARY_MSG_TYPE_IDS[batch.flag_kind],
        msg_mode=settings.INTERMEDIARY_MSG_MODE,
        source_system_id=settings.INTERMEDIARY_SOURCE_SYSTEM_ID,
        destination_system_id=settings.INTERMEDIARY_DESTINATION_SYSTEM_ID,
        reception_number=batch.reception_number,
    )


def batch_write_file(*, batch: Batch) -> tuple[int, str]:
    """Phase 2 (no transaction): stream, validate, fsync, rename. If the file is already
    published (a crash after the rename), it is not written again."""
    final = Path(settings.INTERMEDIARY_OUTBOUND_DIR) / batch.name
    if final.exists():
        return batch.record_count, batch_xml.file_sha256(final)
    return batch_xml.publish_batch(
        final,
        lambda f: batch_xml.write_batch(
            f,
            header=batch_header(batch),
            flag_kind=batch.flag_kind,
            municipality_code=settings.MUNICIPALITY_CODE,
            window_at=batch.window_at.astimezone(JST).isoformat(),
            records=_batch_records(batch),
        ),
        pause_before_publish=settings.INTERMEDIARY_FAULT_PAUSE_BEFORE_PUBLISH,
    )


@transaction.atomic
def batch_mark_published(*, batch_id: uuid.UUID | str, count: int, sha256: str, now: datetime.datetime) -> Batch:
    """Phase 3: the file is out; its operations are sent."""
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if batch.status != BatchStatus.BUILDING:
        return batch
    batch.status, batch.sha256, batch.record_count, batch.published_at = BatchStatus.PUBLISHED, sha256, count, now
    batch.save(update_fields=["status", "sha256", "record_count", "published_at"])
    n = Operation.objects.filter(batch=batch, status=OperationStatus.CLAIMED).update(
        status=OperationStatus.SENT, sent_at=now
    )
    _audit(AuditAction.INTERMEDIARY_BATCH_PUBLISHED, batch_id=str(batch.pk), records=count, operations=n, sha256=sha256)
    return batch


def batch_build(*, flag_kind: str, window_at: datetime.datetime) -> Batch | None:
    try:
        batch = batch_open(flag_kind=flag_kind, window_at=window_at, now=clock.now())
    except IntegrityError:
        return None  # a concurrent tick opened this window's batch first; it owns the file
    if batch is None:
        return None
    return batch_publish(batch_id=batch.pk)


def batch_publish(*, batch_id: uuid.UUID | str) -> Batch:
    batch = Batch.objects.get(pk=batch_id)
    if batch.status != BatchStatus.BUILDING:
        return batch
    count, sha = batch_write_file(batch=batch)
    return batch_mark_published(batch_id=batch.pk, count=count, sha256=sha, now=clock.now())


# ---- results ----------------------------------------------------------------------------


def _quarantine(path: Path, reason: str, now: datetime.datetime) -> None:
    qdir = Path(settings.INTERMEDIARY_QUARANTINE_DIR)
    qdir.mkdir(parents=True, exist_ok=True)
    dest = qdir / f"{now:%Y%m%dT%H%M%S}_{path.name}"
    shutil.move(str(path), dest)
    with transaction.atomic():
        alert_open(kind=AlertKind.QUARANTINE, cause=f"file:{path.name}",
                   detail={"file": dest.name, "reason": reason[:200]}, now=now)
        _audit(AuditAction.INTERMEDIARY_RESULT_QUARANTINED, file=dest.name)
    log.warning("result file quarantined: %s", dest.name)


def result_file_ingest(*, path: Path) -> str:
    """Apply one result file. A malformed or unmatched file is quarantined with an alert and
    marks nothing reflected; a file already applied is only moved away (idempotent)."""
    now = clock.now()
    try:
        parsed = batch_xml.parse_result_file(path)
    except batch_xml.InvalidBatch as exc:
        _quarantine(path, str(exc), now)
        return "quarantined"
    batch = Batch.objects.filter(name=parsed.source_name).first()
    if batch is None or (batch.sha256 and batch.sha256 != parsed.source_sha256):
        _quarantine(path, "unknown batch or checksum mismatch", now)
        return "quarantined"
    _apply_results(batch_id=batch.pk, parsed=parsed, result_name=path.name, now=now)
    done = Path(settings.INTERMEDIARY_INBOUND_DIR) / "processed"
    done.mkdir(parents=True, exist_ok=True)
    os.replace(path, done / path.name)
    return "applied"


@transaction.atomic
def _apply_results(
    *, batch_id: uuid.UUID | str, parsed: batch_xml.ResultFile, result_name: str, now: datetime.datetime
) -> None:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    ops = {
        str(o.pk): o
        for o in Operation.objects.select_for_update().filter(
            batch=batch, covered_by__isnull=True, status__in=[OperationStatus.SENT, OperationStatus.CLAIMED]
        )
    }
    ok, failed, unmatched = [], [], 0
    for r in parsed.results:
        op = ops.pop(r.record_id, None)
        if op is None or op.record_no != r.record_no:
            unmatched += 1  # not ours, or already settled: never guess
            continue
        if r.ok:
            ok.append(op)
        else:
            failed.append((op, r))
    if ok:
        _mark_reflected(ok, now)
    for op, r in failed:
        _mark_failed(op, code=r.error_code, message=r.error_message, now=now)
    if batch.status != BatchStatus.RESULTED:
        batch.status, batch.result_at, batch.result_name = BatchStatus.RESULTED, now, result_name
        batch.save(update_fields=["status", "result_at", "result_name"])
    _audit(
        AuditAction.INTERMEDIARY_BATCH_RESULTED,
        batch_id=str(batch.pk),
        reflected_ids=_ids(ok),
        failed_ids=[str(o.pk) for o, _ in failed],
        unmatched=unmatched,
        msg_result=parsed.header.msg_result[:20],
    )


def results_ingest() -> dict[str, int]:
    """Ingest every result file waiting in the inbound folder. Each file is first claimed by
    renaming it into inbound/processing/ (ADR 0074): of two ingests that overlap (two workers,
    a tick queued during an outage), exactly one rename succeeds, so a file is parsed once."""
    inbound = Path(settings.INTERMEDIARY_INBOUND_DIR)
    counts: dict[str, int] = {}
    if not inbound.is_dir():
        return counts
    result_claims.release_stale(inbound, older_than=settings.INTERMEDIARY_CLAIM_TIMEOUT_SECONDS)
    for path in sorted(
        p for p in inbound.iterdir() if p.is_file() and p.suffix == ".xml" and not p.name.startswith(".")
    ):
        claimed = result_claims.claim(path)
        if claimed is None:
            counts["claimed_elsewhere"] = counts.get("claimed_elsewhere", 0) + 1
            continue
        outcome = result_file_ingest(path=claimed)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# ---- sweeper ----------------------------------------------------------------------------


@transaction.atomic
def sweep(*, now: datetime.datetime) -> dict[str, list[str]]:
    """Re-drive what a lost message, a dead worker or a silent server left behind. Returns
    ids for the task layer to enqueue; the rows, not the messages, decide what happens."""
    stale = now - datetime.timedelta(seconds=settings.INTERMEDIARY_CLAIM_TIMEOUT_SECONDS)
    stuck = list(
        Operation.objects.select_for_update(skip_locked=True).filter(
            status=OperationStatus.CLAIMED, channel=Channel.WEB_SERVICE, claimed_at__lt=stale
        )
    )
    for op in stuck:
        # The call may have reached the server: the same UUID is re-sent, which it ignores.
        _mark_failed(op, code="STUCK", message="処理中のまま停止（再送）", now=now)
    result_deadline = now - datetime.timedelta(seconds=settings.INTERMEDIARY_RESULT_TIMEOUT_SECONDS)
    silent = list(
        Operation.objects.select_for_update(skip_locked=True).filter(
            status=OperationStatus.SENT, channel=Channel.XML_BATCH, covered_by__isnull=True, sent_at__lt=result_deadline
        )
    )
    for op in silent:
        _mark_failed(op, code="NORESULT", message="結果ファイル未着（再送）", now=now)
    resume = list(Batch.objects.filter(status=BatchStatus.BUILDING, created_at__lt=stale).values_list("pk", flat=True))
    redrive = []
    if settings.INTERMEDIARY_CHANNEL == Channel.WEB_SERVICE:
        redrive = list(
            Operation.objects.filter(_due_q(now), covered_by__isnull=True)
            .order_by("created_at")
            .values_list("pk", flat=True)[:1000]
        )
    if stuck or silent or resume:
        _audit(
            AuditAction.INTERMEDIARY_SWEEP,
            stuck_ids=_ids(stuck),
            silent_ids=_ids(silent),
            resumed_batch_ids=_ids(resume),
        )
    return {"redrive": [str(i) for i in redrive], "resume_batches": [str(i) for i in resume]}


# ---- delivery failing for too long (ADR 0060) -------------------------------------------

FAILING_STATUSES = (OperationStatus.FAILED, OperationStatus.DEAD, OperationStatus.CLAIMED)


def failing_threshold(now: datetime.datetime) -> datetime.datetime:
    """Operations failing since before this moment have been failing for longer than the setting."""
    return now - datetime.timedelta(seconds=settings.DELIVERY_FAILING_ALERT_AFTER_SECONDS)


def failing_for_too_long(now: datetime.datetime) -> Q:
    """Not (yet) reflected, failing without a break since longer than the setting ("longer
    than": at exactly the setting, not yet). Only the operations actually sent count."""
    return Q(status__in=FAILING_STATUSES, covered_by__isnull=True, failing_since__lt=failing_threshold(now))


@transaction.atomic
def failing_alerts_raise(*, now: datetime.datetime) -> list[Alert]:
    """One open alert per (unit, flag) whose delivery has been failing for longer than
    DELIVERY_FAILING_ALERT_AFTER_SECONDS, for the system admins' monitor. Idempotent (the
    sweeper runs it every pass): a unit that already has an open one gets no second."""
    failing = (Operation.objects.filter(failing_for_too_long(now)).order_by("failing_since")
               .values("pk", "unit_type", "unit_key", "flag_kind", "failing_since", "last_error_code", "attempts"))
    open_units = set(Alert.objects.filter(kind=AlertKind.FAILING, resolved_at__isnull=True)
                     .values_list("unit_type", "unit_key", "flag_kind"))
    raised = []
    for row in failing:
        unit = (row["unit_type"], row["unit_key"], row["flag_kind"])
        if unit in open_units:
            continue
        open_units.add(unit)
        # One open alert per cause (ADR 0076): a second sweeper racing this one gets the same row.
        raised.append(alert_open(
            kind=AlertKind.FAILING, cause=unit_cause(*unit), now=now, unit_type=unit[0], unit_key=unit[1],
            flag_kind=unit[2], operation_id=row["pk"],
            detail={"operation_id": str(row["pk"]), "code": row["last_error_code"], "attempts": row["attempts"],
                    "failing_since": str(row["failing_since"])}))
    if raised:
        _audit(AuditAction.INTERMEDIARY_FAILING_ALERT, alert_ids=[a.pk for a in raised],
               operation_ids=[a.detail["operation_id"] for a in raised])
    return raised


def _failing_alerts_resolve(ops: list[Operation], now: datetime.datetime) -> None:
    """Reflected at last: the unit's open failing alert has served (closed without a person)."""
    for op in ops:
        Alert.objects.filter(kind=AlertKind.FAILING, resolved_at__isnull=True, unit_type=op.unit_type,
                             unit_key=op.unit_key, flag_kind=op.flag_kind).update(resolved_at=now)


# ---- reconciliation ---------------------------------------------------------------------


@transaction.atomic
def reconcile(*, listing: dict[tuple[str, str, str], bool], now: datetime.datetime) -> list[Alert]:
    """Compare desired FlagState with the server's listing. A difference with nothing in
    flight for that unit is a mismatch alert (once, until resolved)."""
    alerts = []
    desired = {(s.unit_type, s.unit_key, s.flag_kind): s for s in FlagState.objects.filter(desired_at__isnull=False)}
    keys = set(desired) | {k for k, v in listing.items() if v}
    in_flight = set(Operation.objects.filter(status__in=OPEN).values_list("unit_type", "unit_key", "flag_kind"))
    open_alerts = set(
        Alert.objects.filter(kind=AlertKind.MISMATCH, resolved_at__isnull=True).values_list(
            "unit_type", "unit_key", "flag_kind"
        )
    )
    for key in sorted(keys):
        want = desired[key].desired if key in desired else False
        have = listing.get(key, False)
        if want == have or key in in_flight or key in open_alerts:
            continue
        alerts.append(
            alert_open(kind=AlertKind.MISMATCH, cause=unit_cause(*key), now=now, unit_type=key[0],
                       unit_key=key[1], flag_kind=key[2], detail={"desired": want, "server": have})
        )
    _audit(
        AuditAction.INTERMEDIARY_RECONCILED, units=len(keys), mismatches=len(alerts), alert_ids=[a.pk for a in alerts]
    )
    return alerts


# ---- human actions (system admins) ------------------------------------------------------


@transaction.atomic
def operation_retry(*, actor: Staff, operation_id: uuid.UUID | str) -> Operation:
    """Give a dead or failed operation a fresh set of attempts (same UUID, so never doubled)."""
    policy.require(actor, Capability.OPERATE_SYNC)
    op = Operation.objects.select_for_update().filter(pk=operation_id).first()
    if op is None:
        raise NotFound()
    if op.status not in (OperationStatus.DEAD, OperationStatus.FAILED):
        raise Conflict("再試行できるのは失敗・要対応の操作のみです。")
    Alert.objects.filter(operation=op, resolved_at__isnull=True).update(resolved_at=clock.now(), resolved_by=actor)
    _audit(AuditAction.INTERMEDIARY_OPERATION_RETRY, actor=actor, operation_ids=[str(op.pk)])
    op.covered_by = None
    if _superseded(op):
        # A newer approval already carries the net state: re-sending this one would undo it.
        op.refresh_from_db()
        return op
    op.status, op.attempts, op.next_attempt_at = OperationStatus.PENDING, 0, None
    op.batch, op.record_no = None, None
    op.save(update_fields=["status", "attempts", "next_attempt_at", "covered_by", "batch", "record_no"])
    _nudge_after_commit([op.pk])
    return op


@transaction.atomic
def alert_resend(*, actor: Staff, alert_id: int | str) -> Operation:
    """One-click re-send of a reconciliation mismatch: a new operation carrying the desired state."""
    policy.require(actor, Capability.OPERATE_SYNC)
    alert = Alert.objects.select_for_update().filter(pk=alert_id, kind=AlertKind.MISMATCH).first()
    if alert is None:
        raise NotFound()
    if alert.resolved_at is not None:
        raise Conflict("この不一致は対応済みです。")
    # A unit the server has but we never desired gets its FlagState row here (desired_at
    # stays empty: "never set"), which holds the unit's order for this and later operations.
    state = _unit_locked(alert.unit_type, alert.unit_key, alert.flag_kind)
    want = state.desired
    op = _next_operation(state, OperationAction.SET if want else OperationAction.RELEASE)
    op.save(force_insert=True)
    alert.resolved_at, alert.resolved_by = clock.now(), actor
    alert.detail = {**alert.detail, "resend_operation_id": str(op.pk)}
    alert.save(update_fields=["resolved_at", "resolved_by", "detail"])
    _audit(AuditAction.INTERMEDIARY_ALERT_RESEND, actor=actor, alert_id=alert.pk, operation_ids=[str(op.pk)])
    _nudge_after_commit([op.pk])
    return op


@transaction.atomic
def alert_resolve(*, actor: Staff, alert_id: int | str) -> Alert:
    policy.require(actor, Capability.OPERATE_SYNC)
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    if alert.resolved_at is None:
        alert.resolved_at, alert.resolved_by = clock.now(), actor
        alert.save(update_fields=["resolved_at", "resolved_by"])
        _audit(AuditAction.INTERMEDIARY_ALERT_RESOLVE, actor=actor, alert_id=alert.pk)
    return alert


@transaction.atomic
def info_code_request_create(
    *, actor: Staff, info_code: str, flag_kind: str, action: str, reason: str
) -> InfoCodeChangeRequest:
    policy.require(actor, Capability.OPERATE_SYNC)
    info_code, reason = (info_code or "").strip().upper(), (reason or "").strip()
    if not rules.INFO_CODE_RE.match(info_code):
        raise DomainError("特定個人情報名コードは TM + 14桁の数字です。", "info_code")
    if flag_kind not in FlagKind.values:
        raise DomainError("フラグの種類が正しくありません。", "flag_kind")
    if action not in OperationAction.values:
        raise DomainError("設定・解除の指定が正しくありません。", "action")
    if not reason:
        raise DomainError("理由を入力してください。", "reason")
    if InfoCodeChangeRequest.objects.filter(
        info_code=info_code, flag_kind=flag_kind, status=InfoCodeChangeStatus.PENDING
    ).exists():
        raise Conflict("このコードとフラグには承認待ちの申請があります。")
    req = InfoCodeChangeRequest.objects.create(
        info_code=info_code,
        flag_kind=flag_kind,
        action=action,
        reason=reason,
        requested_by=actor,
        requested_at=clock.now(),
    )
    _audit(
        AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_CREATE,
        actor=actor,
        request_id=req.pk,
        info_code=info_code,
        flag_kind=flag_kind,
        change=action,
    )
    return req


def _lock_pending_info_code_request(actor: Staff, request_id: int | str) -> InfoCodeChangeRequest:
    policy.require(actor, Capability.OPERATE_SYNC)
    req = InfoCodeChangeRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise NotFound()
    if req.status != InfoCodeChangeStatus.PENDING:
        raise Conflict(f"この申請は既に「{req.get_status_display()}」です。")
    if req.requested_by_id == actor.pk:
        raise Forbidden("申請者本人は承認・却下できません（二者確認）。")
    return req


@transaction.atomic
def info_code_request_approve(*, actor: Staff, request_id: int | str) -> InfoCodeChangeRequest:
    """Same four eyes as a target's change request: desired state and outbox row together."""
    req = _lock_pending_info_code_request(actor, request_id)
    now = clock.now()
    state = _unit_locked(UnitType.INFO_CODE, req.info_code, req.flag_kind)
    state.desired, state.desired_at = req.action == OperationAction.SET, now
    state.save(update_fields=["desired", "desired_at"])
    op = _next_operation(state, req.action, info_code_request=req)
    op.save(force_insert=True)
    req.status, req.decided_by, req.decided_at = InfoCodeChangeStatus.APPROVED, actor, now
    req.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(
        AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_APPROVE, actor=actor, request_id=req.pk, operation_ids=[str(op.pk)]
    )
    _nudge_after_commit([op.pk])
    return req


@transaction.atomic
def info_code_request_reject(*, actor: Staff, request_id: int | str, reason: str) -> InfoCodeChangeRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("却下の理由を入力してください。", "reason")
    req = _lock_pending_info_code_request(actor, request_id)
    req.status, req.decided_by, req.decided_at, req.decision_reason = (
        InfoCodeChangeStatus.REJECTED,
        actor,
        clock.now(),
        reason,
    )
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _audit(AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_REJECT, actor=actor, request_id=req.pk)
    return req


def _nudge_after_commit(operation_ids: Iterable[object]) -> None:
    ids = [str(i) for i in operation_ids]

    def nudge() -> None:
        fault_hooks.die_after_commit_if_armed()  # the chaos soak's "killed right after commit"
        nudge_delivery(ids)
    transaction.on_commit(nudge)
