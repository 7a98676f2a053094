"""Appenders on separate connections queue on the chain head: every event links to the one
committed before it, ids stay gapless, and an event whose transaction rolls back leaves no
hole (its id is taken by the next one)."""
import threading

from django.db import connection, connections, transaction
from django.utils import timezone

from audit import chain
from audit.actions import AuditAction
from audit.models import AuditEvent, ChainHead
from audit.services import audit_record
from audit.verify import verify_chain

WRITERS, EACH = 4, 40


def _append_many(worker: int, errors: list) -> None:
    try:
        for n in range(EACH):
            if n % 10 == 9:  # an event inside a transaction that is rolled back
                try:
                    with transaction.atomic():
                        audit_record(actor=None, action=AuditAction.AUDIT_EXPORT, detail={"w": worker, "n": n})
                        raise RuntimeError("roll back")
                except RuntimeError:
                    pass
            else:
                audit_record(actor=None, action=AuditAction.AUDIT_ANOMALIES, detail={"w": worker, "n": n})
    except Exception as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(repr(exc))
    finally:
        connections.close_all()


def test_concurrent_appenders_keep_one_gapless_chain(live_db) -> None:
    _writers_keep_one_chain()


def test_concurrent_appenders_rebuild_a_missing_head_row_once(live_db) -> None:
    """Every writer finds no head row (a flush, or a row deleted by hand): they must queue on
    the re-sync, not each rebuild it from their own snapshot (a duplicate id for the second)."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_chainhead")
    _writers_keep_one_chain()


def _writers_keep_one_chain() -> None:
    errors: list = []
    threads = [threading.Thread(target=_append_many, args=(w, errors)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    kept = WRITERS * (EACH - EACH // 10)
    result = verify_chain()
    print(f"concurrent appends: {WRITERS} writers, {kept} kept, {WRITERS * (EACH // 10)} rolled back, "
          f"chain ok={result.ok} checked={result.checked}")
    assert result.ok, result.reason
    assert result.checked == kept == AuditEvent.objects.count()
    assert not AuditEvent.objects.filter(action="audit.export").exists()
    head = ChainHead.objects.get()
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (head.last_id, head.last_hash, head.prev_hash) == (last.id, last.hash, last.prev_hash)


def test_a_missing_head_row_is_rebuilt_from_the_events(db):
    for i in range(3):
        audit_record(actor=None, action=AuditAction.AUDIT_SEARCH, detail={"i": i})
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_chainhead")
    event = audit_record(actor=None, action=AuditAction.AUDIT_ANCHOR)
    assert event.id == 4
    assert verify_chain().ok


def _append_around_the_head():
    """What an old version of the application (or a manual insert) does: a correctly chained
    event written without moving the head row."""
    last = AuditEvent.objects.order_by("-id").first()
    values = {"id": last.id + 1, "occurred_at": timezone.now(), "actor_id": None, "actor_username": "old-version",
              "department_code": "", "role": "", "action": "test.around", "target_id": None, "outcome": "allowed",
              "request_id": "", "ip": "", "channel": "cli", "detail": {}}
    AuditEvent.objects.create(prev_hash=last.hash, hash=chain.link(last.hash, values), **values)


def test_an_append_that_went_around_the_head_is_absorbed_and_recorded(db):
    for i in range(3):
        audit_record(actor=None, action=AuditAction.AUDIT_SEARCH, detail={"i": i})
    _append_around_the_head()  # event 4, head still says 3
    with transaction.atomic():  # inside a transaction too (the approval flows append so)
        event = audit_record(actor=None, action=AuditAction.AUDIT_ANCHOR)
        assert event.id == 5
    resync = AuditEvent.objects.get(action="audit.chain_head_resynced")
    assert resync.detail == {"head_id_was": 3, "head_id_found": 4, "event_id": 5} and resync.id == 6
    result = verify_chain()
    assert result.ok and result.checked == 6, result.reason
    assert ChainHead.objects.get().last_id == 6


def test_outside_a_transaction_too(live_db):
    """The inquiry check appends in autocommit mode: the failed first try rolls itself back."""
    audit_record(actor=None, action=AuditAction.AUDIT_SEARCH)
    _append_around_the_head()
    assert not connection.in_atomic_block
    assert audit_record(actor=None, action=AuditAction.AUDIT_ANCHOR).id == 3
    assert AuditEvent.objects.filter(action="audit.chain_head_resynced").count() == 1
    assert verify_chain().ok
