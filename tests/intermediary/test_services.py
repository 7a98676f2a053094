"""Services and task bodies called as plain functions (no broker): state machine, batches,
results, quarantine, sweeper, reconciliation, retries, info_code four eyes."""
import datetime
import uuid

import pytest

from audit.models import AuditEvent
from core.errors import Conflict, DomainError, Forbidden
from intermediary import batch_xml, channels, services, tasks
from intermediary.models import Alert, Batch, FlagState, InfoCodeChangeRequest, Operation, OperationStatus
from victims import services as flag_services

from .harness import at


@pytest.fixture
def approved(counter, approver, register):
    def make(**kw):
        target, cr = register(counter, **kw)
        flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
        return target
    return make


def test_xml_task_bodies_end_to_end_with_coalescing(env, approved, counter, approver):
    target = approved()
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    other = approved()
    assert tasks.xml_batch_tick() == []  # 10:02: not yet within the lead of 10:05
    env.set(at(24, 10, 4, 30))
    [batch_id] = tasks.xml_batch_tick()
    batch = Batch.objects.get(pk=batch_id)
    assert batch.status == "published" and batch.record_count == 2  # set+release on one unit → one record
    ops = Operation.objects.filter(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE").order_by("created_at")
    first, last = list(ops)
    assert first.covered_by_id == last.pk and last.action == "release" and last.record_no is not None
    assert tasks.xml_batch_tick() == []  # the same window is never written twice

    env.set(at(24, 10, 5))
    assert env.emu.poll_files() == 1
    assert tasks.results_ingest() == {"applied": 1}
    first.refresh_from_db(), last.refresh_from_db()
    assert first.status == last.status == OperationStatus.REFLECTED
    assert env.emu.store.flag("atena", other.atena_no, "NO_AUTO_RESPONSE") is True
    assert env.emu.store.flag("atena", target.atena_no, "NO_AUTO_RESPONSE") is False
    assert FlagState.objects.get(unit_key=other.atena_no, flag_kind="NO_AUTO_RESPONSE").reflected is True
    assert AuditEvent.objects.filter(action="intermediary.batch_resulted").exists()


def test_record_errors_fail_with_backoff_then_dead_with_alert(env, approved, settings):
    settings.INTERMEDIARY_BACKOFF_BASE_SECONDS = 30
    target = approved()
    env.emu.store.set_fault("error", remaining=-1, code="E201")
    for minute, expected in ((5, "failed"), (10, "failed"), (15, "dead")):
        window = at(24, 10, minute)
        env.set(window - datetime.timedelta(seconds=30))
        assert tasks.xml_batch_tick(), minute  # the failed record is due again by the next window
        env.set(window)
        env.emu.poll_files()
        tasks.results_ingest()
        op = Operation.objects.get(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE")
        assert (op.status, op.last_error_code, op.attempts) == (expected, "E201", minute // 5), minute
        if expected == "failed":
            assert op.next_attempt_at == window + datetime.timedelta(seconds=30 * 2 ** (op.attempts - 1))
    assert op.next_attempt_at is None
    assert Alert.objects.filter(kind="dead", operation=op).exists()


def test_malformed_result_file_is_quarantined_and_marks_nothing(env, approved):
    target = approved()
    env.set(at(24, 10, 4, 30))
    tasks.xml_batch_tick()
    inbound = services.settings.INTERMEDIARY_INBOUND_DIR
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / "evil.result.xml").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
                                             '"file:///etc/passwd">]><FlagBatchResult>&e;</FlagBatchResult>')
    assert tasks.results_ingest() == {"quarantined": 1}
    assert not Operation.objects.filter(unit_key=target.atena_no, status="reflected").exists()
    assert Alert.objects.filter(kind="quarantine").count() == 1
    assert any(services.settings.INTERMEDIARY_QUARANTINE_DIR.iterdir())


def test_result_for_unknown_batch_is_quarantined(env, approved):
    approved()
    inbound = services.settings.INTERMEDIARY_INBOUND_DIR
    inbound.mkdir(parents=True, exist_ok=True)
    batch_xml.write_result_file(inbound / "x.result.xml", header=batch_xml.Header("a", "b", "1", "c", "d", "e"),
                                source_name="nope.xml", source_sha256="0" * 64,
                                results=[batch_xml.RecordResult(1, str(uuid.uuid4()), True)])
    assert tasks.results_ingest() == {"quarantined": 1}
    assert not Operation.objects.filter(status="reflected").exists()


def test_crash_between_open_and_publish_resumes_the_same_content(env, approved):
    targets = [approved() for _ in range(3)]
    env.set(at(24, 10, 4, 30))
    batch = services.batch_open(flag_kind="NO_AUTO_RESPONSE", window_at=at(24, 10, 5), now=services.clock.now())
    assert batch.status == "building" and batch.record_count == 3
    # the worker "dies" here; a later tick must not build a second file for the window
    assert services.batch_open(flag_kind="NO_AUTO_RESPONSE", window_at=at(24, 10, 5), now=services.clock.now()) is None
    assert tasks.xml_batch_tick() == []
    env.set(at(24, 10, 6))
    assert services.sweep(now=services.clock.now())["resume_batches"] == []  # not stale yet: maybe still alive
    env.set(at(24, 10, 20))
    todo = services.sweep(now=services.clock.now())
    assert todo["resume_batches"] == [str(batch.pk)]
    services.batch_publish(batch_id=batch.pk)
    assert Batch.objects.get(pk=batch.pk).status == "published"
    assert Operation.objects.filter(status="sent").count() == 3
    names = [p.name for p in services.settings.INTERMEDIARY_OUTBOUND_DIR.glob("*.xml")]
    assert names == [batch.name] and len(targets) == 3


def test_silent_server_is_retried_with_the_same_uuid(env, approved, settings):
    settings.INTERMEDIARY_RESULT_TIMEOUT_SECONDS = 3600
    target = approved()
    env.emu.store.set_fault("apply_then_timeout", remaining=1)
    env.set(at(24, 10, 4, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 10, 5))
    env.emu.poll_files()
    tasks.results_ingest()
    op = Operation.objects.get(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE")
    assert op.status == "sent"
    env.set(at(24, 11, 6))
    services.sweep(now=services.clock.now())
    op.refresh_from_db()
    assert op.status == "failed" and op.last_error_code == "NORESULT"
    env.set(at(24, 11, 9, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 11, 10))
    env.emu.poll_files()
    tasks.results_ingest()
    op.refresh_from_db()
    assert op.status == "reflected"
    assert env.emu.store.stats()["records_applied_more_than_once"] == 0
    assert env.emu.store.stats()["redeliveries_absorbed"] == 1


def test_web_service_body_failure_backoff_and_dead(env, approved, settings, monkeypatch):
    settings.INTERMEDIARY_CHANNEL = "web_service"
    settings.INTERMEDIARY_BACKOFF_BASE_SECONDS = 0
    target = approved()
    calls = []
    monkeypatch.setattr(channels, "web_service_send", lambda **kw: calls.append(kw) or channels.SendResult(
        False, "E503", "down"))
    monkeypatch.setattr("intermediary.tasks.deliver_operation.apply_async", lambda *a, **k: None)
    op = Operation.objects.get(unit_key=target.atena_no, flag_kind="NONDISCLOSURE")
    for expected in ("failed", "failed", "dead"):
        assert tasks.deliver_operation(str(op.pk)) == expected
    assert calls[0] == {"record_id": str(op.pk), "unit_type": "atena", "unit_key": target.atena_no,
                        "flag_kind": "NONDISCLOSURE", "action": "set"}
    assert Alert.objects.filter(kind="dead", operation=op).count() == 1
    assert tasks.deliver_operation(str(op.pk)) == "skipped"  # dead waits for a human


def test_web_service_serialises_per_unit_and_covers_older(env, approved, counter, approver, settings, monkeypatch):
    settings.INTERMEDIARY_CHANNEL = "web_service"
    sent = []
    monkeypatch.setattr(channels, "web_service_send",
                        lambda **kw: sent.append(kw["record_id"]) or channels.SendResult(True))
    target = approved()
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    older, newer = Operation.objects.filter(unit_key=target.atena_no, flag_kind="NONDISCLOSURE").order_by("created_at")
    assert services.operation_deliver_web_service(operation_id=older.pk) is None  # covered, never sent alone
    older.refresh_from_db()
    assert older.covered_by_id == newer.pk and str(older.pk) not in sent
    services.operation_deliver_web_service(operation_id=newer.pk)
    older.refresh_from_db()
    assert older.status == "reflected"
    assert FlagState.objects.get(unit_key=target.atena_no, flag_kind="NONDISCLOSURE").reflected is False


def test_stuck_claim_is_redriven_by_the_sweeper(env, approved, settings):
    settings.INTERMEDIARY_CHANNEL = "web_service"
    settings.INTERMEDIARY_CLAIM_TIMEOUT_SECONDS = 60
    target = approved()
    op = Operation.objects.get(unit_key=target.atena_no, flag_kind="NONDISCLOSURE")
    services.operation_claim_for_web_service(operation_id=op.pk, now=services.clock.now())
    env.set(at(24, 10, 4))
    services.sweep(now=services.clock.now())
    op.refresh_from_db()
    assert op.status == "failed" and op.last_error_code == "STUCK"
    env.set(at(24, 10, 10))
    assert str(op.pk) in services.sweep(now=services.clock.now())["redrive"]


def test_reconciliation_alert_and_one_click_resend(env, approved, sysadmin, settings):
    target = approved()
    Operation.objects.update(status="reflected")
    alerts = services.reconcile(listing={("atena", target.atena_no, "NO_AUTO_RESPONSE"): True},
                                now=services.clock.now())
    assert [(a.unit_key, a.flag_kind, a.detail) for a in alerts] == [
        (target.atena_no, "NONDISCLOSURE", {"desired": True, "server": False})]
    # Next run: NO_AUTO_RESPONSE is now missing too; the open NONDISCLOSURE alert is not repeated.
    again = services.reconcile(listing={}, now=services.clock.now())
    assert [(a.flag_kind, a.detail) for a in again] == [("NO_AUTO_RESPONSE", {"desired": True, "server": False})]
    op = services.alert_resend(actor=sysadmin, alert_id=alerts[0].pk)
    assert (op.unit_key, op.flag_kind, op.action, op.status) == (target.atena_no, "NONDISCLOSURE", "set", "pending")
    with pytest.raises(Conflict):
        services.alert_resend(actor=sysadmin, alert_id=alerts[0].pk)
    assert AuditEvent.objects.filter(action="intermediary.alert_resend", actor_id=sysadmin.pk).exists()


def test_reconciliation_skips_units_with_work_in_flight(env, approved):
    approved()
    assert services.reconcile(listing={}, now=services.clock.now()) == []


def test_operation_retry_by_sysadmin_only(env, approved, sysadmin, counter):
    target = approved()
    op = Operation.objects.get(unit_key=target.atena_no, flag_kind="NONDISCLOSURE")
    Operation.objects.filter(pk=op.pk).update(status="dead", attempts=8)
    with pytest.raises(Forbidden):
        services.operation_retry(actor=counter, operation_id=op.pk)
    services.operation_retry(actor=sysadmin, operation_id=op.pk)
    op.refresh_from_db()
    assert (op.status, op.attempts) == ("pending", 0)
    with pytest.raises(Conflict):
        services.operation_retry(actor=sysadmin, operation_id=op.pk)


def test_info_code_unit_needs_a_second_sysadmin(env, sysadmin, make_staff, counter):
    other_admin = make_staff("sysadmin2", "johosys", "sysadmin")
    with pytest.raises(Forbidden):
        services.info_code_request_create(actor=counter, info_code="TM00000000000003", flag_kind="NONDISCLOSURE",
                                          action="set", reason="誤った副本")
    with pytest.raises(DomainError):
        services.info_code_request_create(actor=sysadmin, info_code="TM123", flag_kind="NONDISCLOSURE", action="set",
                                          reason="x")
    req = services.info_code_request_create(actor=sysadmin, info_code="TM00000000000003", flag_kind="NONDISCLOSURE",
                                            action="set", reason="誤った副本")
    with pytest.raises(Forbidden):
        services.info_code_request_approve(actor=sysadmin, request_id=req.pk)
    assert not Operation.objects.filter(unit_type="info_code").exists()
    services.info_code_request_approve(actor=other_admin, request_id=req.pk)
    op = Operation.objects.get(unit_type="info_code")
    assert (op.unit_key, op.flag_kind, op.action, op.info_code_request_id) == ("TM00000000000003", "NONDISCLOSURE",
                                                                               "set", req.pk)
    state = FlagState.objects.get(unit_type="info_code", unit_key="TM00000000000003", flag_kind="NONDISCLOSURE")
    assert state.desired is True
    assert InfoCodeChangeRequest.objects.get(pk=req.pk).decided_by == other_admin
    assert AuditEvent.objects.filter(action="intermediary.info_code_request_approve", actor_id=other_admin.pk).exists()
    # and it travels in the daily NONDISCLOSURE file like any other record
    env.set(at(25, 1, 59, 30))
    [batch_id] = tasks.xml_batch_tick()
    env.set(at(25, 2, 0))
    env.emu.poll_files()
    tasks.results_ingest()
    assert env.emu.store.flag("info_code", "TM00000000000003", "NONDISCLOSURE") is True
    assert env.emu.answer("NONDISCLOSURE", "100000000000999", "TM00000000000003") is True


def test_info_code_reject_needs_reason_and_other_admin(env, sysadmin, make_staff):
    other_admin = make_staff("sysadmin2", "johosys", "sysadmin")
    req = services.info_code_request_create(actor=sysadmin, info_code="TM00000000000004", flag_kind="NO_AUTO_RESPONSE",
                                            action="set", reason="確認")
    with pytest.raises(DomainError):
        services.info_code_request_reject(actor=other_admin, request_id=req.pk, reason="")
    services.info_code_request_reject(actor=other_admin, request_id=req.pk, reason="不要")
    assert InfoCodeChangeRequest.objects.get(pk=req.pk).status == "rejected"
    assert not Operation.objects.exists()


def test_late_retry_never_overwrites_a_newer_approval(env, approved, counter, approver, settings):
    """An older set whose result never came is not re-sent after a newer release went out."""
    settings.INTERMEDIARY_RESULT_TIMEOUT_SECONDS = 600
    target = approved()
    env.emu.store.set_fault("timeout", remaining=1)  # neither applied nor answered
    env.set(at(24, 10, 4, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 10, 5))
    env.emu.poll_files()
    tasks.results_ingest()
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    env.set(at(24, 10, 9, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 10, 10))
    env.emu.poll_files()
    tasks.results_ingest()
    env.set(at(24, 10, 20))
    services.sweep(now=services.clock.now())  # the first set is now "no result": failed, due again
    env.set(at(24, 10, 24, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 10, 25))
    env.emu.poll_files()
    tasks.results_ingest()
    old_set, new_release = Operation.objects.filter(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE").order_by(
        "created_at")
    assert old_set.covered_by_id == new_release.pk and old_set.status == "reflected"
    assert env.emu.store.flag("atena", target.atena_no, "NO_AUTO_RESPONSE") is False


def test_retrying_a_stale_dead_operation_does_not_undo_a_newer_approval(env, approved, counter, approver, sysadmin):
    target = approved()
    old = Operation.objects.get(unit_key=target.atena_no, flag_kind="NONDISCLOSURE")
    Operation.objects.filter(pk=old.pk).update(status="dead", attempts=8)
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    newer = Operation.objects.filter(unit_key=target.atena_no, flag_kind="NONDISCLOSURE").exclude(pk=old.pk).get()
    Operation.objects.filter(pk=newer.pk).update(status="reflected")
    op = services.operation_retry(actor=sysadmin, operation_id=old.pk)
    assert (op.status, op.covered_by_id) == ("reflected", newer.pk)


def test_result_files_read_out_of_order_leave_the_newest_state(env, approved, counter, approver, tmp_path):
    """The server applies files in window order; if their results are read the other way round
    (a delayed transfer), the older result must not overwrite the reflected state."""
    target = approved()
    env.set(at(24, 10, 4, 30))
    tasks.xml_batch_tick()
    env.set(at(24, 10, 5))
    env.emu.poll_files()  # set applied; its result waits in inbound
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    env.set(at(24, 10, 9, 30))
    tasks.xml_batch_tick()
    inbound = tmp_path / "inbound"
    older = set(inbound.iterdir())
    env.set(at(24, 10, 10))
    env.emu.poll_files()  # release applied
    held = tmp_path / "held"
    held.mkdir()
    for path in older:  # the older result arrives late
        path.rename(held / path.name)
    tasks.results_ingest()
    for path in held.iterdir():
        path.rename(inbound / path.name)
    tasks.results_ingest()
    assert Operation.objects.filter(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE").exclude(
        status=OperationStatus.REFLECTED).count() == 0
    state = FlagState.objects.get(unit_key=target.atena_no, flag_kind="NO_AUTO_RESPONSE")
    assert env.emu.store.flag("atena", target.atena_no, "NO_AUTO_RESPONSE") is False
    assert (state.desired, state.reflected) == (False, False)
