"""Lockout after repeated failures: django-axes per username + address, and the account's own
progressive wait from any address (accounts.login_delay, ADR 0020). Time is frozen throughout:
the waits are read from the clock, never slept."""
import datetime

import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import PASSWORD

T0 = datetime.datetime(2027, 4, 5, 1, 0, tzinfo=datetime.UTC)  # a Monday, 10:00 in Japan


def _login(client, password, ip="10.0.0.1", username="counter1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_that_username_from_that_ip(client, counter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _login(client, "wrong-password").status_code in (200, 429)
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "停止" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="auth.login_failed", actor_username="counter1").count()
    assert failures >= settings.AXES_FAILURE_LIMIT


def test_the_right_password_from_another_address_waits_after_the_failures(counter, settings):
    """Used to log in at once (axes keyed on username + address only)."""
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(Client(), "wrong-password", ip="10.0.0.1")
        other = Client()
        refused = _login(other, PASSWORD, ip="10.0.0.2")
        assert refused.status_code == 429
        page = refused.content.decode()
        assert "一時的に停止" in page and "10:01 以降（約1分後）" in page
        assert "_auth_user_id" not in other.session
        marked = AuditEvent.objects.filter(action="auth.login_failed", actor_username="counter1").latest("id")
        assert marked.detail == {"delayed": True} and marked.ip == "10.0.0.2"
        clock.shift(datetime.timedelta(seconds=settings.LOGIN_ACCOUNT_DELAY["base_seconds"]))
        assert _login(other, PASSWORD, ip="10.0.0.2").status_code == 302


def test_each_further_failure_doubles_the_wait_and_retrying_early_does_not(counter, settings):
    base = settings.LOGIN_ACCOUNT_DELAY["base_seconds"]
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(settings.AXES_FAILURE_LIMIT):
            _login(Client(), "wrong-password", ip=f"10.0.1.{n}")
        clock.shift(datetime.timedelta(seconds=base))
        assert _login(Client(), "wrong-password", ip="10.0.2.1").status_code == 200  # the 6th: 2 × base
        for _ in range(3):  # retried too early: refused unchecked, and not counted
            clock.shift(datetime.timedelta(seconds=base // 2))
            assert _login(Client(), PASSWORD, ip="10.0.2.2").status_code == 429
        clock.shift(datetime.timedelta(seconds=2 * base - 3 * (base // 2) - 1))
        assert _login(Client(), PASSWORD, ip="10.0.2.2").status_code == 429
        clock.shift(datetime.timedelta(seconds=1))
        assert _login(Client(), PASSWORD, ip="10.0.2.2").status_code == 302


def test_the_wait_is_capped(counter, settings):
    settings.LOGIN_ACCOUNT_DELAY = {**settings.LOGIN_ACCOUNT_DELAY, "max_seconds": 300}
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(settings.AXES_FAILURE_LIMIT + 6):  # would be 64 × base uncapped
            _login(Client(), "wrong-password", ip=f"10.0.3.{n}")
            clock.shift(datetime.timedelta(seconds=400))
        assert _login(Client(), PASSWORD, ip="10.0.4.1").status_code == 302


def test_an_unknown_username_waits_like_a_real_one(db, settings):
    with time_machine.travel(T0, tick=False):
        for n in range(settings.AXES_FAILURE_LIMIT):
            assert _login(Client(), "wrong-password", ip=f"10.0.5.{n}", username="nobody").status_code == 200
        assert _login(Client(), "wrong-password", ip="10.0.6.1", username="nobody").status_code == 429


def test_a_successful_login_starts_the_count_again(counter, settings):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(Client(), "wrong-password", ip="10.0.7.1")
        clock.shift(datetime.timedelta(seconds=1))
        assert _login(Client(), PASSWORD, ip="10.0.7.2").status_code == 302
        clock.shift(datetime.timedelta(seconds=1))
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(Client(), "wrong-password", ip="10.0.7.3")
        assert _login(Client(), PASSWORD, ip="10.0.7.4").status_code == 302


def test_fewer_failures_do_not_lock(client, counter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong-password")
    assert _login(client, PASSWORD).status_code == 302
