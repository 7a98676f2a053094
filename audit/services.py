"""Appending to the log: one event per change (in the change's transaction) and per read,
and refusals that outlive the rollback of the transaction that refused them."""
import contextvars
import functools
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, ParamSpec, TypeVar, cast

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from core import policy
from core.errors import Forbidden
from core.policy import Actor

from . import chain, context, sinks
from .actions import AuditAction
from .models import AuditAnchor, AuditEvent, ChainHead, Outcome, VerificationRun
from .verify import FULL, INCREMENTAL, verify_chain, verify_incremental

P = ParamSpec("P")
R = TypeVar("R")

_EVENTS = AuditEvent._meta.db_table
_HEAD = ChainHead._meta.db_table
_DATA_COLUMNS = [c for c in chain.CHAINED_FIELDS if c != "id"]
_FIELDS_BY_NAME = {f.name: f for f in AuditEvent._meta.concrete_fields}
_DATA_FIELDS = [_FIELDS_BY_NAME[name] for name in _DATA_COLUMNS]
_COLUMN_LIST = ", ".join(f'"{c}"' for c in _DATA_COLUMNS)
_PLACEHOLDERS = ", ".join(["%s"] * len(_DATA_COLUMNS))

# PostgreSQL: one statement appends. Updating the head row takes its lock (held to commit,
# so concurrent appenders queue in order) and, under READ COMMITTED, re-reads the row as
# the previous appender committed it; the database joins the canonical JSON around the new
# id and hashes it (chain.canonical_parts). Every read of victim data appends an event, so
# this is one round trip instead of four (lock, read head, insert, commit).
# Table and column names in these statements come from the model; values are parameters.
_APPEND_SQL = f"""
WITH head AS (
    UPDATE "{_HEAD}" SET
        last_id = last_id + 1,
        prev_hash = last_hash,
        last_hash = encode(sha256(convert_to(last_hash || '|' || %s || (last_id + 1)::text || %s, 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING last_id, prev_hash, last_hash
)
INSERT INTO "{_EVENTS}" (id, {_COLUMN_LIST}, prev_hash, hash)
SELECT head.last_id, {_PLACEHOLDERS}, head.prev_hash, head.last_hash FROM head
RETURNING id, prev_hash, hash
"""  # noqa: S608
# Re-reads the head from the events. Needed when the head row is missing (a flush of the
# tables in tests) or behind the events (something appended without it: an old version of
# the application still running during an upgrade, or a manual insert) — then the append
# fails on the duplicate id and is retried once after this, with the head row locked first so
# the re-read sees every committed event.
_HEAD_LOCK_SQL = f'SELECT last_id FROM "{_HEAD}" WHERE id = 1 FOR UPDATE'  # noqa: S608
# A missing row cannot be locked: appenders that all found none would each re-sync from their
# own snapshot, and the second would set the head back under the first's event (duplicate id).
# One transaction-scoped advisory lock queues them; each statement after it sees what the one
# before committed (READ COMMITTED takes a new snapshot per statement).
_RESYNC_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
_RESYNC_LOCK_KEY = 0x617564697468  # "audith": any constant no other code uses
_HEAD_SYNC_SQL = f"""
INSERT INTO "{_HEAD}" (id, last_id, last_hash, prev_hash)
SELECT 1, COALESCE(MAX(e.id), 0),
       COALESCE((SELECT hash FROM "{_EVENTS}" ORDER BY id DESC LIMIT 1), %s),
       COALESCE((SELECT prev_hash FROM "{_EVENTS}" ORDER BY id DESC LIMIT 1), %s)
FROM "{_EVENTS}" e
ON CONFLICT (id) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash,
                               prev_hash = EXCLUDED.prev_hash
RETURNING last_id
"""  # noqa: S608


def audit_record(*, actor: Actor | None, action: AuditAction, target_id: int | None = None,
                 outcome: str = Outcome.ALLOWED,
                 detail: dict[str, Any] | None = None, username: str = "") -> AuditEvent:
    """Append one event. `detail` must hold ids and counts only, never names or birth dates.
    Inside a transaction it commits with it, so a change and its event commit together;
    outside one the single statement commits itself."""
    action = AuditAction(action)  # the one vocabulary: an unknown action is a programming error
    ctx = context.current()
    dept = getattr(actor, "department", None) if actor is not None else None
    values: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": actor.get_username() if actor is not None else username,
        "department_code": dept.code if dept else "",
        "role": getattr(actor, "role", "") or "",
        "action": action.value,
        "target_id": target_id,
        "outcome": str(outcome),
        "request_id": ctx.request_id,
        "ip": ctx.ip,
        "channel": ctx.channel,
        "detail": detail or {},
    }
    if connection.vendor == "postgresql":
        values["id"], values["prev_hash"], values["hash"] = _append_postgresql(values)
    else:  # the embedded demo's SQLite (no sha256()): the same link, computed here
        with transaction.atomic():
            last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
            values["id"], values["prev_hash"] = (last[0] + 1, last[1]) if last else (1, chain.GENESIS)
            values["hash"] = chain.link(values["prev_hash"], values)
            AuditEvent.objects.create(**values)
    event = AuditEvent(**values)
    event._state.adding, event._state.db = False, connection.alias
    return event


def _append_postgresql(values: dict[str, Any]) -> tuple[int, str, str]:
    params = [*chain.canonical_parts(values)]
    params += [field.get_db_prep_save(values[field.name], connection) for field in _DATA_FIELDS]
    try:
        # Inside a transaction the first try gets a savepoint, so its failure can be retried;
        # outside one (the inquiry check) a failed statement just rolls itself back.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = _execute(_APPEND_SQL, params)
        if row is not None:
            return cast(tuple[int, str, str], row)  # RETURNING id, prev_hash, hash
    except IntegrityError:  # duplicate id: the head is behind the events
        pass
    with transaction.atomic():
        _execute(_RESYNC_LOCK_SQL, [_RESYNC_LOCK_KEY])
        head_was = _execute(_HEAD_LOCK_SQL)
        if head_was is not None:  # the writer ahead in the queue may have rebuilt it already
            try:
                with transaction.atomic():
                    row = _execute(_APPEND_SQL, params)
                if row is not None:
                    return cast(tuple[int, str, str], row)
            except IntegrityError:  # still behind the events: re-sync below
                pass
        head_now = _execute(_HEAD_SYNC_SQL, [chain.GENESIS, chain.GENESIS])
        row = _execute(_APPEND_SQL, params)
    if head_now is None or row is None:  # the sync always writes the head row, and the append follows it
        raise DatabaseError("the audit chain head could not be re-synced")
    if head_was is not None:  # not a missing row (a flush) but a head someone went around
        audit_record(actor=None, action=AuditAction.AUDIT_CHAIN_HEAD_RESYNCED,
                     detail={"head_id_was": head_was[0], "head_id_found": head_now[0], "event_id": row[0]})
    return cast(tuple[int, str, str], row)


def _execute(sql: str, params: list[Any] | tuple[()] = ()) -> tuple[Any, ...] | None:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row: tuple[Any, ...] | None = cur.fetchone()
        return row


def audit_denied(*, actor: Actor | None, action: AuditAction, target_id: int | None = None,
                 detail: dict[str, Any] | None = None) -> AuditEvent:
    return audit_record(actor=actor, action=action, target_id=target_id, outcome=Outcome.DENIED, detail=detail)


# Refusals raised inside a service's transaction are held here and appended after that
# transaction has ended: appended inside it, the rollback that the refusal causes would
# remove them (a refused approval would leave no trace). None: not inside a service.
_pending_refusals: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "pending_refusals", default=None)


def audit_refusal(*, actor: Actor | None, action: AuditAction, target_id: int | None = None,
                  detail: dict[str, Any] | None = None) -> None:
    """Record a refused attempt so that it survives the rollback of the transaction that
    refused it: held until the outermost `audited_atomic` service returns or raises, or
    appended at once outside any service."""
    entry: dict[str, Any] = {"actor": actor, "action": AuditAction(action), "target_id": target_id, "detail": detail}
    pending = _pending_refusals.get()
    if pending is None:
        audit_denied(**entry)
    else:
        pending.append(entry)


def require_capability(actor: Actor | None, capability: policy.Capability, *, action: AuditAction,
                       detail: dict[str, Any] | None = None) -> None:
    """core.policy.require, with the refusal audited (the one deny-then-audit for a gate
    that stands before any object, e.g. the inquiry checks)."""
    try:
        policy.require(actor, capability)
    except Forbidden:
        audit_refusal(actor=actor, action=action, detail=detail)
        raise


def audited_atomic(service: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic` for a service, plus: every `audit_refusal` made inside it is
    appended after the transaction ends (committed or rolled back), exactly once."""
    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _pending_refusals.get() is not None:  # nested: the outermost service appends
            with transaction.atomic():
                return service(*args, **kwargs)
        pending: list[dict[str, Any]] = []
        token = _pending_refusals.set(pending)
        try:
            with transaction.atomic():
                return service(*args, **kwargs)
        finally:
            _pending_refusals.reset(token)
            for entry in pending:
                audit_denied(**entry)
    return wrapper


def anchor_create() -> AuditAnchor | None:
    """Record today's head of the chain (run daily by the beat, or by `audit_anchor`), in the
    database and, once committed there, in the sinks outside it (SinkWriteFailed if the file
    did not take it: the anchor stays, the failure is audited)."""
    with transaction.atomic():
        head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
        if head is None:
            return None
        anchor = AuditAnchor.objects.create(created_at=timezone.now(), head_event_id=head["id"],
                                            head_hash=head["hash"], event_count=head["id"])
        audit_record(actor=None, action=AuditAction.AUDIT_ANCHOR,
                     detail={"anchor_id": anchor.pk, "head_event_id": head["id"]})
    _publish(sinks.anchor_record(anchor_id=anchor.pk, last_event_id=anchor.head_event_id,
                                 event_count=anchor.event_count, head_hash=anchor.head_hash,
                                 at=anchor.created_at.isoformat()), anchor)
    return anchor


def verification_run(*, actor: Actor | None = None, mode: str = FULL, workers: int | None = None) -> VerificationRun:
    """Verify the chain, fully (on demand: `audit_verify`, in parallel processes) or from the
    last verified point (the daily run, bounded by its budget), and keep the result for the
    auditors' screen and in the sinks outside the database (SinkWriteFailed as for anchors)."""
    started = timezone.now()
    result = verify_incremental() if mode == INCREMENTAL else verify_chain(workers=workers)
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        ok=result.ok,
        checked=result.checked,
        anchors_checked=result.anchors_checked,
        first_bad_id=result.first_bad_id,
        reason=result.reason[:200],
        mode=result.mode,
        first_event_id=result.first_id,
        last_event_id=result.last_id,
        head_hash=result.head_hash,
        complete=result.complete,
        workers=result.workers,
    )
    audit_record(
        actor=actor,
        action=AuditAction.AUDIT_VERIFY,
        outcome=Outcome.ALLOWED if result.ok else Outcome.DENIED,
        detail={"run_id": run.pk, "ok": result.ok, "checked": result.checked, "mode": result.mode,
                "first_event_id": result.first_id, "last_event_id": result.last_id, "complete": result.complete},
    )
    _publish(sinks.verification_record(run_id=run.pk, last_event_id=result.last_id, head_hash=result.head_hash,
                                       ok=result.ok, at=run.finished_at.isoformat()), run)
    return run


def _publish(record: dict[str, Any], saved: AuditAnchor | VerificationRun) -> None:
    """Write to every sink outside the database. A required sink (the file) that fails is loud:
    an audit event per failure, an ERROR log line (sinks.publish) and SinkWriteFailed."""
    failed = [f for f in sinks.publish(record) if f.required]
    for failure in failed:
        audit_record(actor=None, action=AuditAction.AUDIT_SINK_FAILED, outcome=Outcome.DENIED,
                     detail={"sink": failure.sink, "kind": record["kind"], "record_id": record["record_id"],
                             "error": failure.error})
    if failed:
        raise sinks.SinkWriteFailed(", ".join(f"{f.sink}: {f.error}" for f in failed), saved)
