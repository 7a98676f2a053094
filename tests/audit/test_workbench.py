"""The auditors' screens: search, CSV, who has seen a person, anomalies, verification."""
import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit import selectors
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import NotFound
from victims.selectors import target_get_for_user, target_shared_list

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
AUDIT_PAGES = ["audit:home", "audit:events", "who_has_seen", "audit:anomalies", "audit:anchors"]


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.mark.parametrize("who", ["counter", "approver", "sysadmin", "nonlinkage_counter"])
@pytest.mark.parametrize("page", AUDIT_PAGES)
def test_only_auditors_open_the_workbench(db, client, request, who, page):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", AUDIT_PAGES)
def test_anonymous_is_sent_to_login(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_search_filters_and_is_itself_audited(auditor_client, counter, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    response = auditor_client.get(reverse("audit:events"), {"actor": "counter1", "action": "target.read"})
    assert response.status_code == 200
    rows = response.context["page"].events
    assert rows and all(e.actor_username == "counter1" and e.action == "target.read" for e in rows)
    assert AuditEvent.objects.filter(action="audit.search", actor_username="auditor1").exists()


def test_search_is_paginated(auditor_client):
    """By id, newest first (keyset): older and newer pages, the total counted to 10,000."""
    for i in range(120):
        audit_record(actor=None, action="audit.anchor", detail={"i": i})
    ids = list(AuditEvent.objects.filter(action="audit.anchor").order_by("-id").values_list("id", flat=True))
    first = auditor_client.get(reverse("audit:events"), {"action": "audit.anchor"}).context["page"]
    assert [e.id for e in first.events] == ids[:50] and first.total_label == "120件"
    assert first.newer_than is None and first.older_than == ids[49]
    response = auditor_client.get(reverse("audit:events"), {"action": "audit.anchor", "before": ids[99]})
    last = response.context["page"]
    assert [e.id for e in last.events] == ids[100:] and last.older_than is None and last.newer_than == ids[100]
    assert f"after={ids[100]}" in response.content.decode()
    back = auditor_client.get(reverse("audit:events"), {"action": "audit.anchor", "after": ids[100]}).context["page"]
    assert [e.id for e in back.events] == ids[50:100] and back.older_than == ids[99] and back.newer_than == ids[50]


# Later than the fixtures' events (a search bounds its period by ids, which follow the clock).
@time_machine.travel(datetime.datetime(2099, 6, 1, 12, 0, tzinfo=JST), tick=False)
def test_the_total_is_counted_to_ten_thousand_only(db, auditor, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 30)
    for i in range(40):
        audit_record(actor=None, action="audit.anchor", detail={"i": i})
    day = datetime.date(2099, 6, 1)
    page = selectors.event_search(actor=auditor, flt=selectors.EventFilter(start=day, end=day, action="audit."))
    assert page.capped and page.total_label == "30件以上" and len(page.events) == 41  # and the search itself


def test_bad_period_gets_a_japanese_error(auditor_client):
    response = auditor_client.get(reverse("audit:events"), {"start": "2026-11-10", "end": "2026-11-01"})
    assert "開始日が終了日より後です" in response.content.decode()


def test_csv_has_bom_escapes_formulas_and_the_export_is_audited(auditor_client, client):
    audit_record(actor=None, action="auth.login_failed", outcome="denied", username='=HYPERLINK("http://x")')
    response = auditor_client.get(reverse("audit:export_csv"), {"action": "auth.login_failed"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=HYPERLINK" in body and ',=HYPERLINK' not in body and ',"=HYPERLINK' not in body
    export = AuditEvent.objects.get(action="audit.export")
    assert export.detail["rows"] == 1 and export.actor_username == "auditor1"


def test_who_has_seen_lists_reads_by_screen_api_and_shared_list(auditor_client, counter, other_counter, register):
    target, _ = register(counter)
    other, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk, via="api")
    target_shared_list(actor=other_counter)
    target_get_for_user(actor=counter, target_id=other.pk)
    response = auditor_client.post(reverse("who_has_seen"), {"atena_no": target.atena_no})
    events = response.context["events"]
    seen = {(e.actor_username, e.action) for e in events}
    assert ("counter1", "target.read") in seen and ("zeimu1", "target.shared_list") in seen
    assert all(e.target_id in (target.pk, None) for e in events)
    assert "api" in response.content.decode()
    assert AuditEvent.objects.filter(action="audit.who_has_seen", target_id=target.pk).exists()


def test_who_has_seen_with_unknown_atena(auditor_client):
    response = auditor_client.post(reverse("who_has_seen"), {"atena_no": "999999999999999"})
    assert "該当する対象者がいません" in response.content.decode()


def test_anomalies_flag_night_holiday_heavy_readers_denials_and_failed_logins(auditor_client, counter, other_counter,
                                                                             register, settings, client):
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "max_targets_per_user_day": 2, "max_atena_per_user_day": 2}
    with time_machine.travel(datetime.datetime(2026, 11, 18, 14, 0, tzinfo=JST), tick=False):  # a Wednesday afternoon
        targets = [register(counter)[0] for _ in range(3)]
        for t in targets:
            target_get_for_user(actor=counter, target_id=t.pk)
    with time_machine.travel(datetime.datetime(2026, 11, 18, 23, 30, tzinfo=JST), tick=False):
        target_get_for_user(actor=counter, target_id=targets[0].pk)
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=JST), tick=False):  # 勤労感謝の日
        target_get_for_user(actor=counter, target_id=targets[1].pk)
    # Inside the searched month, so the test does not depend on today's date.
    with time_machine.travel(datetime.datetime(2026, 11, 25, 11, 0, tzinfo=JST), tick=False):  # a Wednesday morning
        with pytest.raises(NotFound):
            target_get_for_user(actor=other_counter, target_id=targets[0].pk)
        Client().post(reverse("accounts:login"), {"username": "counter1", "password": "wrong-password"})
    result = auditor_client.get(reverse("audit:anomalies"),
                                {"start": "2026-11-01", "end": "2026-11-30"}).context["result"]
    off = {(timezone_hour(e), e.action) for e in result.off_hours}
    assert (23, "target.read") in off and (10, "target.read") in off
    assert all(timezone_hour(e) != 14 for e in result.off_hours)
    assert [(r["actor_username"], r["n"]) for r in result.heavy_readers] == [("counter1", 4)] or \
        ("counter1", 3) in [(r["actor_username"], r["n"]) for r in result.heavy_readers]
    assert any(e.actor_username == "zeimu1" for e in result.denied)
    assert any(r["actor_username"] == "counter1" for r in result.failed_logins)


def timezone_hour(event):
    return event.occurred_at.astimezone(JST).hour


def test_verify_now_shows_the_state(auditor_client):
    audit_record(actor=None, action="audit.search")
    auditor_client.post(reverse("audit:verify"))
    response = auditor_client.get(reverse("audit:home"))
    assert "正常" in response.content.decode()
