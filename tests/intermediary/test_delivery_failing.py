"""Delivery failing for longer than DELIVERY_FAILING_ALERT_AFTER_SECONDS (ADR 0060): one alert for
the system admins, a warning on the target's page for the departments working the case, both
gone once the flag is reflected. Time is the intermediate-server clock (INTERMEDIARY_CLOCK_FILE),
frozen at each step; the boundary is "longer than": at exactly the setting, nothing yet."""
import datetime

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from intermediary import channels, services, tasks
from intermediary.clock import set_now
from intermediary.models import Alert, AlertKind, Operation
from intermediary.windows import JST
from victims import services as victim_services

T0 = datetime.datetime(2026, 11, 24, 10, 0, 0, tzinfo=JST)
WARNING = "フラグの送信に失敗が続いています"


@pytest.fixture
def failing(tmp_path, settings, counter, approver, register, monkeypatch):
    """A target whose two flag operations failed once at T0 (the server answered 503)."""
    settings.INTERMEDIARY_CLOCK_FILE = str(tmp_path / "clock")
    settings.INTERMEDIARY_CHANNEL = "web_service"
    settings.DELIVERY_FAILING_ALERT_AFTER_SECONDS = 300
    clock = tmp_path / "clock"
    monkeypatch.setattr("intermediary.tasks.deliver_operation.apply_async", lambda *a, **k: None)
    monkeypatch.setattr("intermediary.tasks.nudge_delivery", lambda ids: None)
    answer = {"ok": False}
    monkeypatch.setattr(channels, "web_service_send", lambda **kw: channels.SendResult(True) if answer["ok"]
                        else channels.SendResult(False, "HTTP503", "down"))
    set_now(clock, T0 - datetime.timedelta(seconds=5))
    target, cr = register(counter)
    victim_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    set_now(clock, T0)
    for op in Operation.objects.filter(unit_key=target.atena_no):
        assert tasks.deliver_operation(str(op.pk)) == "failed"

    class F:
        def at(self, seconds):
            set_now(clock, T0 + datetime.timedelta(seconds=seconds))

        def recover(self):
            answer["ok"] = True
    f = F()
    f.target = target
    return f


def test_the_first_failure_is_remembered_and_a_retry_does_not_move_it(failing):
    ops = list(Operation.objects.filter(unit_key=failing.target.atena_no))
    assert ops and all(op.failing_since == T0 for op in ops)
    failing.at(200)
    Operation.objects.filter(pk=ops[0].pk).update(next_attempt_at=T0)
    assert tasks.deliver_operation(str(ops[0].pk)) == "failed"
    assert Operation.objects.get(pk=ops[0].pk).failing_since == T0


def test_no_alert_until_longer_than_the_setting_then_exactly_one_per_flag(failing):
    failing.at(300)  # exactly the setting: not longer than it
    assert services.failing_alerts_raise(now=T0 + datetime.timedelta(seconds=300)) == []
    failing.at(301)
    tasks.sweep()  # the sweeper raises them
    alerts = Alert.objects.filter(kind=AlertKind.FAILING, resolved_at__isnull=True)
    assert sorted(a.flag_kind for a in alerts) == ["NONDISCLOSURE", "NO_AUTO_RESPONSE"]
    assert all(a.unit_key == failing.target.atena_no and a.detail["code"] == "HTTP503" for a in alerts)
    failing.at(900)
    tasks.sweep()
    assert Alert.objects.filter(kind=AlertKind.FAILING).count() == 2  # not raised twice
    event = AuditEvent.objects.get(action="intermediary.failing_alert")
    assert len(event.detail["alert_ids"]) == 2 and "name" not in str(event.detail)


def test_the_setting_decides_the_delay(failing, settings):
    settings.DELIVERY_FAILING_ALERT_AFTER_SECONDS = 60
    failing.at(61)
    assert len(services.failing_alerts_raise(now=T0 + datetime.timedelta(seconds=61))) == 2


def test_the_monitor_shows_the_alert_in_japanese(failing, web, sysadmin):
    failing.at(301)
    tasks.sweep()
    page = web(sysadmin).get(reverse("intermediary:monitor")).content.decode()
    assert "送信の失敗が続いています（未反映）" in page and failing.target.atena_no in page


def test_the_target_page_warns_its_department_only_after_the_setting(failing, web, counter, approver):
    page = reverse("victims:detail", kwargs={"pk": failing.target.pk})
    failing.at(300)
    assert WARNING not in web(counter).get(page).content.decode()
    failing.at(301)
    for staff in (counter, approver):  # the owning department's clerk and head
        body = web(staff).get(page).content.decode()
        assert WARNING in body and "まだ中間サーバーに反映されていません" in body and "情報連携担当" in body
        assert 'id="delivery-failing"' in body


def test_a_granted_department_is_warned_too(failing, web, approver, other_counter, other_approver):
    victim_services.target_grant_department(actor=approver, target_id=failing.target.pk,
                                 department_code=other_counter.department.code, reason="連携して支援")
    failing.at(301)
    body = web(other_counter).get(reverse("victims:detail", kwargs={"pk": failing.target.pk})).content.decode()
    assert WARNING in body


def test_reflected_at_last_clears_the_warning_and_closes_the_alert(failing, web, counter):
    failing.at(301)
    tasks.sweep()
    failing.recover()
    failing.at(400)
    for op in Operation.objects.filter(unit_key=failing.target.atena_no):
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=T0)
        assert tasks.deliver_operation(str(op.pk)) == "reflected"
    assert all(op.failing_since is None for op in Operation.objects.filter(unit_key=failing.target.atena_no))
    assert not Alert.objects.filter(kind=AlertKind.FAILING, resolved_at__isnull=True).exists()
    body = web(counter).get(reverse("victims:detail", kwargs={"pk": failing.target.pk})).content.decode()
    assert WARNING not in body
