import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit import chain
from audit.models import AuditEvent
from audit.services import anchor_create, audit_record
from audit.verify import verify_chain


def _events(n):
    for i in range(n):
        audit_record(actor=None, action="audit.search", detail={"i": i})


def _rewrite_whole_chain_from(event_id: int):
    """What an attacker with superuser rights would do: alter one event and recompute
    every hash after it so that the chain links again (in the database only: the sink file
    outside it is another attack, tests/audit/test_truncation.py)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        rows = list(AuditEvent.objects.order_by("id").values(*chain.CHAINED_FIELDS, "prev_hash", "hash"))
        prev = chain.GENESIS
        for row in rows:
            if row["id"] == event_id:
                row["action"] = "forged"
            if row["id"] >= event_id:
                new_hash = chain.link(prev, row)
                cur.execute("UPDATE audit_auditevent SET action=%s, prev_hash=%s, hash=%s WHERE id=%s",
                            [row["action"], prev, new_hash, row["id"]])
                row["hash"] = new_hash
            prev = row["hash"]
        # ...and realign the chain head row, which would otherwise still hold the old last hash.
        cur.execute("UPDATE audit_chainhead SET last_hash = %s, prev_hash = %s WHERE id = 1",
                    [rows[-1]["hash"], rows[-2]["hash"] if len(rows) > 1 else chain.GENESIS])


def test_anchor_records_the_head_and_verification_uses_it(db):
    _events(3)
    anchor = anchor_create()
    assert anchor.head_event_id == 3 and anchor.event_count == 3
    result = verify_chain()
    assert result.ok and result.anchors_checked == 1


def test_wholesale_rewrite_is_caught_by_an_earlier_anchor(db):
    _events(5)
    anchor_create()
    _rewrite_whole_chain_from(2)
    result = verify_chain()
    assert not result.ok and "アンカー" in result.reason


def test_wholesale_rewrite_without_anchor_would_pass(db):
    """The reason anchors exist: without one a full recomputation is undetectable."""
    _events(5)
    _rewrite_whole_chain_from(2)
    assert verify_chain().ok


def test_tail_removed_after_an_anchor_is_caught(db):
    _events(5)
    anchor_create()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("DELETE FROM audit_auditevent WHERE id >= 4")
    result = verify_chain()
    assert not result.ok and "末尾" in result.reason


def test_anchors_are_append_only(db):
    _events(1)
    anchor_create()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_auditanchor SET head_hash = 'x'")
