"""The red team's attack on the newest events (issue 10, item 4): as the database superuser with
triggers bypassed, delete the newest events, realign the chain head and delete the anchors and
verification runs that knew them. `audit_verify` must report the truncation and name the
missing range, from the records kept outside the database (audit/sinks.py) and from what the
database itself still remembers (the chain head row, the largest verified count)."""
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from audit.services import anchor_create, audit_record, verification_run
from audit.verify import verify_chain
from tests.audit.test_anchors import _rewrite_whole_chain_from


def _events(n):
    for i in range(n):
        audit_record(actor=None, action="audit.search", detail={"i": i})


def _last_id() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM audit_auditevent")
        return cur.fetchone()[0]


def _as_superuser(*statements):
    """The attacker: the test database's user is postgres, a superuser; replica mode skips the
    append-only triggers."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            cur.execute(sql, params)


def _delete_events_from(event_id):
    return ("DELETE FROM audit_auditevent WHERE id >= %s", [event_id])


Statement = tuple[str, list]
REALIGN_HEAD: Statement = (
    "UPDATE audit_chainhead SET last_id = e.id, last_hash = e.hash, prev_hash = e.prev_hash "
    "FROM (SELECT id, hash, prev_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1) e WHERE audit_chainhead.id = 1",
    [])
DELETE_ANCHORS_AND_RUNS: list[Statement] = [("DELETE FROM audit_auditanchor", []),
                                            ("DELETE FROM audit_verificationrun", [])]


def _verify_command(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    return exc.value.code, capsys.readouterr().err


def _a_day_of_work():
    """Events, the daily task (verify, then anchor), more events, and an auditor's "verify now"."""
    _events(5)
    verification_run()
    anchor = anchor_create()
    _events(5)
    run = verification_run()
    return anchor, run


def test_events_deleted_after_the_last_anchor_with_the_head_realigned_are_a_truncation(db, capsys):
    anchor, run = _a_day_of_work()
    verified_up_to = run.checked
    gone_from = anchor.head_event_id + 3  # after the last anchor: no anchor in the database knew them
    _as_superuser(_delete_events_from(gone_from), ("DELETE FROM audit_verificationrun WHERE id = %s", [run.pk]),
                  REALIGN_HEAD)

    result = verify_chain()
    assert not result.ok
    assert result.missing == (gone_from, verified_up_to)
    assert f"id {gone_from}〜{verified_up_to}" in result.reason and "末尾の削除" in result.reason
    code, err = _verify_command(capsys)
    assert code == 1 and f"イベント id {gone_from}〜{verified_up_to} の {verified_up_to - gone_from + 1} 件" in err


def test_events_anchors_and_verification_runs_all_deleted_are_a_truncation(db, capsys):
    anchor, run = _a_day_of_work()
    gone_from = 3  # before the anchor: with the anchors and runs gone, nothing in the database knew
    _as_superuser(_delete_events_from(gone_from), *DELETE_ANCHORS_AND_RUNS, REALIGN_HEAD)

    result = verify_chain()
    assert not result.ok and result.missing == (gone_from, run.checked)
    code, err = _verify_command(capsys)
    assert code == 1 and f"id {gone_from}〜{run.checked}" in err and "外部記録" in err


def test_the_external_record_is_the_only_witness_and_without_it_the_attack_passes(db, settings):
    """Why the sink exists: with only the database's records, the same attack verifies OK."""
    settings.AUDIT_ANCHOR_SINKS = []
    _a_day_of_work()
    _as_superuser(_delete_events_from(3), *DELETE_ANCHORS_AND_RUNS, REALIGN_HEAD)
    assert verify_chain().ok


def test_a_chain_head_left_behind_names_the_truncated_range(db, settings):
    """The database's own record of the last event: deleting events without realigning the head."""
    settings.AUDIT_ANCHOR_SINKS = []
    _events(8)
    _as_superuser(_delete_events_from(6))
    result = verify_chain()
    assert not result.ok and result.missing == (6, 8) and "チェーン先頭の記録" in result.reason


def test_the_largest_verified_count_names_the_truncated_range(db, settings):
    """The database's last recorded count: a verification run that is left in place."""
    settings.AUDIT_ANCHOR_SINKS = []
    _events(8)
    run = verification_run()
    _as_superuser(_delete_events_from(6), REALIGN_HEAD)
    result = verify_chain()
    assert not result.ok and result.missing == (6, run.checked) and f"検証#{run.pk}" in result.reason


def test_anchors_deleted_while_the_events_stay_are_named(db):
    _events(3)
    anchor = anchor_create()
    _as_superuser(("DELETE FROM audit_auditanchor", []))
    result = verify_chain()
    assert not result.ok and f"アンカー#{anchor.pk} がデータベースにありません" in result.reason


def test_a_rewritten_chain_is_caught_by_the_external_anchor(db):
    """Every hash recomputed from event 2 on (the head realigned), and the anchors deleted: only
    the file still has the old head."""
    _events(4)
    anchor = anchor_create()
    _rewrite_whole_chain_from(2)
    _as_superuser(*DELETE_ANCHORS_AND_RUNS)
    result = verify_chain()
    assert not result.ok and result.first_bad_id == anchor.head_event_id
    assert f"外部記録 anchor#{anchor.pk}" in result.reason and "書換え" in result.reason


def _sink_lines(settings) -> list[dict]:
    return [json.loads(line) for line in Path(settings.AUDIT_ANCHOR_SINK_FILE).read_text().splitlines()]


def test_a_line_removed_from_the_external_record_breaks_its_chain(db, settings):
    _events(2)
    anchor_create()
    anchor_create()
    anchor_create()
    path = Path(settings.AUDIT_ANCHOR_SINK_FILE)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = verify_chain()
    assert not result.ok and "2 行目が前の行と連結しません" in result.reason


def test_a_line_forged_without_the_key_is_refused(db, settings):
    """An attacker who can append to the file but lacks the key cannot write a "shorter" anchor."""
    _events(6)
    anchor_create()
    last = _sink_lines(settings)[-1]
    forged = {**last, "record_id": last["record_id"] + 1, "last_event_id": 2, "event_count": 2,
              "prev": last["mac"], "mac": "f" * 64}
    with open(settings.AUDIT_ANCHOR_SINK_FILE, "a") as f:
        f.write(json.dumps(forged) + "\n")
    result = verify_chain()
    assert not result.ok and "2 行目の MAC が一致しません" in result.reason


def test_an_intact_log_with_its_external_record_verifies(db, capsys):
    _a_day_of_work()
    result = verify_chain()
    assert result.ok and result.external_checked == 3 and result.anchors_checked == 1
    call_command("audit_verify")
    assert "OK:" in capsys.readouterr().out
