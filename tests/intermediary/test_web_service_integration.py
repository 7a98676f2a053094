"""Web-service channel through a real worker, real Redis, real PostgreSQL and the emulator."""
import datetime
import uuid

from intermediary import services
from intermediary.models import Alert, FlagState, Operation, OperationStatus
from victims import services as flag_services

from .harness import send_task, wait_until

JST = datetime.timezone(datetime.timedelta(hours=9))


def approve(counter, approver, register, **kw):
    target, cr = register(counter, **kw)
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def test_approval_reaches_emulator_within_seconds_then_release_turns_flags_off(ws_env, counter, approver, register):
    ws_env.set_clock(datetime.datetime(2026, 11, 24, 10, 0, tzinfo=JST))
    target = approve(counter, approver, register)
    state = wait_until(lambda: (s := ws_env.state(target.atena_no))["NO_AUTO_RESPONSE"] and s["NONDISCLOSURE"] and s,
                       timeout=10, what="both flags at the emulator")
    assert state == {"atena_no": target.atena_no, "NO_AUTO_RESPONSE": True, "NONDISCLOSURE": True}
    assert ws_env.emulator_state_cli(target.atena_no) == state
    assert ws_env.get(f"/inquiry?atena_no={target.atena_no}")["auto_answered"] is False
    assert ws_env.get(f"/provision?atena_no={target.atena_no}")["nondisclosed"] is True
    wait_until(lambda: not Operation.objects.exclude(status=OperationStatus.REFLECTED).exists(), what="ops reflected")
    fs = {s.flag_kind: s for s in FlagState.objects.filter(unit_key=target.atena_no)}
    assert all(s.reflected is True and s.reflected_at is not None for s in fs.values())

    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    wait_until(lambda: (s := ws_env.state(target.atena_no)) and not s["NO_AUTO_RESPONSE"] and not s["NONDISCLOSURE"],
               timeout=10, what="flags released at the emulator")
    assert ws_env.get(f"/inquiry?atena_no={target.atena_no}")["auto_answered"] is True
    wait_until(lambda: FlagState.objects.filter(unit_key=target.atena_no, reflected=False).count() == 2,
               what="reflected state released")


def test_daily_reconciliation_finds_drift_and_one_click_resend_repairs_it(ws_env, counter, approver, register,
                                                                          sysadmin):
    target = approve(counter, approver, register)
    wait_until(lambda: not Operation.objects.exclude(status=OperationStatus.REFLECTED).exists(), what="reflected")
    # Someone changes the flag at the server behind our back (e.g. by hand at a 接続端末).
    ws_env.post("/ws/flags", {"record_id": str(uuid.uuid4()), "unit_type": "atena", "unit_key": target.atena_no,
                              "flag_kind": "NONDISCLOSURE", "action": "release"})

    send_task("intermediary.reconcile")
    alert = wait_until(lambda: Alert.objects.filter(kind="mismatch", unit_key=target.atena_no).first(),
                       what="mismatch alert")
    assert (alert.flag_kind, alert.detail) == ("NONDISCLOSURE", {"desired": True, "server": False})
    services.alert_resend(actor=sysadmin, alert_id=alert.pk)
    wait_until(lambda: ws_env.state(target.atena_no)["NONDISCLOSURE"], timeout=10, what="flag repaired")
