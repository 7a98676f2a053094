"""XML batch channel through a real worker: NO_AUTO_RESPONSE at the next 5-minute window,
NONDISCLOSURE only at the daily window; the clock is driven, never slept through."""
import datetime

from intermediary.models import Batch, FlagState, Operation, OperationStatus
from victims import services as flag_services

from .harness import send_task, wait_until

JST = datetime.timezone(datetime.timedelta(hours=9))


def at(day, hh, mm, ss=0):
    return datetime.datetime(2026, 11, day, hh, mm, ss, tzinfo=JST)


def ops(atena, kind):
    return Operation.objects.filter(unit_key=atena, flag_kind=kind, covered_by__isnull=True)


def tick_and_wait_batch(env, kind, window):
    send_task("intermediary.xml_batch_tick")
    return wait_until(lambda: Batch.objects.filter(flag_kind=kind, window_at=window, status="published").first(),
                      what=f"{kind} batch for {window}")


def ingest_until(env, predicate, what):
    def step():
        send_task("intermediary.results_ingest")
        return predicate()
    return wait_until(step, timeout=20, interval=0.3, what=what)


def test_windows_set_and_release(xml_env, counter, approver, register):
    env = xml_env
    env.set_clock(at(24, 10, 2))
    target, cr = register(counter)
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    atena = target.atena_no

    # 10:04:30: inside the lead of the 10:05 window → the NO_AUTO_RESPONSE file is written.
    env.set_clock(at(24, 10, 4, 30))
    nar_batch = tick_and_wait_batch(env, "NO_AUTO_RESPONSE", at(24, 10, 5))
    assert (env.dirs["outbound"] / nar_batch.name).exists()
    assert not Batch.objects.filter(flag_kind="NONDISCLOSURE").exists()

    # Approved just after the 10:05 file was written: it waits for the 10:10 window.
    late_target, late_cr = register(counter)
    flag_services.change_request_approve(actor=approver, change_request_id=late_cr.pk)
    send_task("intermediary.xml_batch_tick")

    # Before the window the server has not reflected anything.
    env.post("/control/poll", {})
    assert env.state(atena)["NO_AUTO_RESPONSE"] is False

    env.set_clock(at(24, 10, 5))
    ingest_until(env, lambda: ops(atena, "NO_AUTO_RESPONSE").get().status == OperationStatus.REFLECTED,
                 "NO_AUTO_RESPONSE reflected at 10:05")
    assert env.state(atena) == {"atena_no": atena, "NO_AUTO_RESPONSE": True, "NONDISCLOSURE": False}
    assert ops(late_target.atena_no, "NO_AUTO_RESPONSE").get().status == OperationStatus.PENDING
    assert ops(atena, "NONDISCLOSURE").get().status == OperationStatus.PENDING
    state = FlagState.objects.get(unit_key=atena, flag_kind="NO_AUTO_RESPONSE")
    assert state.reflected is True and state.reflected_at is not None
    nar_batch.refresh_from_db()
    assert nar_batch.status == "resulted" and nar_batch.sha256 and nar_batch.record_count == 1

    # 10:10 window: the late approval goes out; still no NONDISCLOSURE file during the day.
    env.set_clock(at(24, 10, 9, 30))
    tick_and_wait_batch(env, "NO_AUTO_RESPONSE", at(24, 10, 10))
    env.set_clock(at(24, 10, 10))
    ingest_until(env, lambda: ops(late_target.atena_no, "NO_AUTO_RESPONSE").get().status == OperationStatus.REFLECTED,
                 "late approval reflected at 10:10")
    for hh in (12, 18, 23):
        env.set_clock(at(24, hh, 0))
        send_task("intermediary.xml_batch_tick")
    env.set_clock(at(25, 0, 30))
    send_task("intermediary.xml_batch_tick")
    env.post("/control/poll", {})
    assert env.state(atena)["NONDISCLOSURE"] is False
    assert not Batch.objects.filter(flag_kind="NONDISCLOSURE").exists()

    # The daily window (02:00 inside the データ送受信機能停止時間).
    env.set_clock(at(25, 1, 59, 30))
    tick_and_wait_batch(env, "NONDISCLOSURE", at(25, 2, 0))
    env.set_clock(at(25, 2, 0))
    ingest_until(env, lambda: ops(atena, "NONDISCLOSURE").get().status == OperationStatus.REFLECTED,
                 "NONDISCLOSURE reflected at the daily window")
    assert env.emulator_state_cli(atena) == {"atena_no": atena, "NO_AUTO_RESPONSE": True, "NONDISCLOSURE": True}

    # Release: both flags off, each on its own schedule.
    env.set_clock(at(25, 9, 0))
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    env.set_clock(at(25, 9, 4, 30))
    tick_and_wait_batch(env, "NO_AUTO_RESPONSE", at(25, 9, 5))
    env.set_clock(at(25, 9, 5))
    ingest_until(env, lambda: env.state(atena)["NO_AUTO_RESPONSE"] is False and not ops(
        atena, "NO_AUTO_RESPONSE").exclude(status=OperationStatus.REFLECTED).exists(), "NO_AUTO_RESPONSE released")
    assert env.state(atena)["NONDISCLOSURE"] is True  # still waiting for the daily window
    env.set_clock(at(26, 1, 59, 30))
    tick_and_wait_batch(env, "NONDISCLOSURE", at(26, 2, 0))
    env.set_clock(at(26, 2, 0))
    ingest_until(env, lambda: env.state(atena)["NONDISCLOSURE"] is False and not ops(
        atena, "NONDISCLOSURE").exclude(status=OperationStatus.REFLECTED).exists(), "NONDISCLOSURE released")
    assert FlagState.objects.filter(unit_key=atena, reflected=False).count() == 2
