"""The anomaly view's password-spraying alert (audit.spraying, ADR 0020): many accounts, few
failed tries each, within a window, from one source or over all sources."""
import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
T0 = datetime.datetime(2026, 11, 11, 10, 0, tzinfo=JST)  # a Wednesday morning
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


def fail(username, ip, **meta):
    Client().post(reverse("accounts:login"), {"username": username, "password": "wrong-password"},
                  REMOTE_ADDR=ip, **meta)


def spraying(auditor_client):
    response = auditor_client.get(reverse("audit:anomalies"), PERIOD)
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    return response, response.context["result"].password_spraying


def test_one_wrong_password_against_nine_accounts_from_one_source_is_flagged(auditor_client):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(9):
            fail(f"staff{n}", "203.0.113.50")
            clock.shift(datetime.timedelta(minutes=2))
        fail("staff0", "198.51.100.1")  # someone else's typo elsewhere: not part of it
    response, alerts = spraying(auditor_client)
    (alert,) = [a for a in alerts if a.source == "203.0.113.50"]
    assert (alert.accounts, alert.attempts, alert.sources) == (9, 9, 1)
    assert alert.first_at == T0 and alert.last_at == T0 + datetime.timedelta(minutes=16)
    html = response.content.decode()
    assert "パスワードの総当たり" in html and "203.0.113.50" in html
    assert "staff3" not in html.split("パスワードの総当たり")[1].split("</table>")[0]  # counts, not names


def test_many_tries_against_one_account_is_no_spray(auditor_client, settings):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(20):
            fail("counter1", "203.0.113.51")
            clock.shift(datetime.timedelta(minutes=5))  # past each wait of the account
    _, alerts = spraying(auditor_client)
    assert alerts == []


def test_accounts_tried_far_apart_are_no_spray(auditor_client, settings):
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "spray_window_minutes": 60}
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(9):
            fail(f"staff{n}", "203.0.113.52")
            clock.shift(datetime.timedelta(minutes=20))  # at most 3 in any hour
    _, alerts = spraying(auditor_client)
    assert alerts == []


def test_a_spray_spread_over_many_sources_is_flagged_overall(auditor_client, settings):
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "spray_min_accounts_overall": 12}
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(12):
            fail(f"staff{n}", f"198.51.100.{n + 1}")
            clock.shift(datetime.timedelta(minutes=1))
    _, alerts = spraying(auditor_client)
    (alert,) = alerts
    assert alert.source == "" and (alert.accounts, alert.sources) == (12, 12)


def test_behind_a_proxy_the_alert_names_the_client_not_the_proxy(auditor_client, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.1"]
    with time_machine.travel(T0, tick=False):
        for n in range(6):
            fail(f"staff{n}", "10.9.0.1", HTTP_X_FORWARDED_FOR="192.0.2.77")
        for n in range(3):
            fail(f"other{n}", "10.9.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    _, alerts = spraying(auditor_client)
    assert [(a.source, a.accounts) for a in alerts] == [("192.0.2.77", 6)]


def test_a_source_with_exactly_the_threshold_of_accounts_is_flagged(auditor_client, settings):
    """Sources with fewer accounts in the whole period than the threshold are skipped unread
    (no window of theirs can reach it); one with exactly the threshold is not."""
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "spray_min_accounts_per_source": 5}
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(5):
            fail(f"staff{n}", "203.0.113.60")
            if n < 4:  # one account short
                fail(f"staff{n}", "203.0.113.61")
            clock.shift(datetime.timedelta(minutes=1))
    _, alerts = spraying(auditor_client)
    assert [(a.source, a.accounts) for a in alerts] == [("203.0.113.60", 5)]
