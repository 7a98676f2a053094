"""Bulk checks and the recipient filter no longer escape per-person audit (issue 10 item 5,
ADR 0017): the persons they matched are recorded by id, "who has seen this person" lists
them, their numbers count toward the anomaly thresholds, and a daily quota per caller
refuses (429, audited, an alert for auditors) what goes beyond it."""
import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.hits import hits_digest, hits_intact
from audit.models import AuditEvent, AuditEventTarget
from audit.selectors import who_has_seen
from audit.verify import verify_chain
from victims import services

BULK = "/api/v1/inquiry-checks/bulk/"
FILTER = "/api/v1/recipient-filter/"
JST = zoneinfo.ZoneInfo("Asia/Tokyo")
A_WEDNESDAY = datetime.datetime(2026, 11, 18, 14, 0, tzinfo=JST)


def bulk_check(client, numbers, direction="inquiry"):
    return client.post(BULK, {"atena_nos": numbers, "direction": direction}, format="json")


def recipient_file(client, content: bytes):
    f = io.BytesIO(content)
    f.name = "atesaki.csv"
    return client.post(FILTER, {"file": f}, format="multipart")


def strangers(n: int, base: int = 300000000000000) -> list[str]:
    return [f"{base + i:015d}" for i in range(n)]


@pytest.fixture
def people(counter, approver, register):
    made = {}
    made["pending"], _ = register(counter, atena_no="800000000000001")  # protects at once
    t, cr = register(counter, atena_no="800000000000002", cases=[{"type": "1-I", "abuser_atena_no": "800000000000009"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["1-I"] = t  # the check answers "not required" for this victim: still a person looked up
    made["absent"], _ = register(counter, atena_no="800000000000003")  # never in the uploads
    return made


def test_who_has_seen_lists_a_bulk_check_for_each_person_it_matched(api, people, other_counter, auditor):
    response = bulk_check(api(other_counter), ["800000000000001", "800000000000002", "800000000000009",
                                               *strangers(50)])
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="inquiry.bulk_check", outcome="allowed")
    matched = sorted([people["pending"].pk, people["1-I"].pk])
    assert sorted(AuditEventTarget.objects.filter(event_id=event.pk).values_list("target_id", flat=True)) == matched
    assert event.detail["hit_count"] == 2 and hits_intact(event)
    assert "800000000000001" not in str(event.detail)  # ids only, never numbers
    for person in ("pending", "1-I"):
        assert event in who_has_seen(actor=auditor, target_id=people[person].pk)
    assert event not in who_has_seen(actor=auditor, target_id=people["absent"].pk)


def test_a_one_number_bulk_check_is_no_silent_single_check(api, people, other_counter, auditor, client):
    assert bulk_check(api(other_counter), ["800000000000002"]).status_code == 200
    client.force_login(auditor)
    page = client.post(reverse("who_has_seen"), {"atena_no": "800000000000002"})
    assert ("zeimu1", "inquiry.bulk_check") in {(e.actor_username, e.action) for e in page.context["events"]}


def test_who_has_seen_lists_a_recipient_file_for_each_person_it_named(api, people, other_counter, auditor):
    content = b"800000000000001,a\r\n800000000000002,b\r\n300000000000001,c\r\n"
    response = recipient_file(api(other_counter), content)
    assert response.status_code == 200 and response.content == b"800000000000002,b\r\n300000000000001,c\r\n"
    event = AuditEvent.objects.get(action="recipient_filter.run", outcome="allowed")
    # removed (pending) and kept (①-I victim) alike: the department looked both up
    for person in ("pending", "1-I"):
        assert event in who_has_seen(actor=auditor, target_id=people[person].pk)
    assert event not in who_has_seen(actor=auditor, target_id=people["absent"].pk)
    assert hits_intact(event)


def test_the_matched_persons_are_append_only(api, people, other_counter):
    bulk_check(api(other_counter), ["800000000000001"])
    row = AuditEventTarget.objects.get()
    for sql in (f"UPDATE audit_auditeventtarget SET target_id = 1 WHERE event_id = {row.event_id}",
                f"DELETE FROM audit_auditeventtarget WHERE event_id = {row.event_id}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)


def test_hits_are_bounded_by_the_targets_and_written_in_constant_queries(api, people, other_counter):
    counts = []
    for n in (10, 3000):
        with CaptureQueriesContext(connection) as ctx:
            assert bulk_check(api(other_counter), ["800000000000001", *strangers(n)]).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert AuditEventTarget.objects.count() == 2  # one per event: the one target matched


def test_hits_intact_sees_a_set_that_no_longer_matches_its_event(api, people, other_counter):
    bulk_check(api(other_counter), ["800000000000001", "800000000000002"])
    event = AuditEvent.objects.get(action="inquiry.bulk_check")
    assert event.detail["hits_sha256"] == hits_digest(sorted([people["pending"].pk, people["1-I"].pk]))["hits_sha256"]
    AuditEventTarget.objects.create(event_id=event.pk, target_id=people["absent"].pk)  # added behind the event's back
    assert not hits_intact(event)


@pytest.mark.parametrize("tamper", ["delete one", "add one"])
def test_audit_verify_reports_matched_persons_removed_or_added_behind_the_triggers(api, people, other_counter,
                                                                                    tamper):
    """As a superuser who bypasses the append-only triggers, hiding that a clerk's bulk check
    matched a person (or framing another) breaks the verification, naming the event."""
    bulk_check(api(other_counter), ["800000000000001", "800000000000002"])
    bulk_check(api(other_counter), ["800000000000001"])
    first = AuditEvent.objects.filter(action="inquiry.bulk_check").order_by("id").first()
    assert verify_chain().ok
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            if tamper == "delete one":
                cur.execute("DELETE FROM audit_auditeventtarget WHERE event_id = %s AND target_id = %s",
                            [first.pk, people["1-I"].pk])
            else:
                cur.execute("INSERT INTO audit_auditeventtarget (event_id, target_id) VALUES (%s, %s)",
                            [first.pk, people["absent"].pk])
        finally:
            cur.execute("SET session_replication_role = DEFAULT")
    result = verify_chain()
    assert not result.ok and result.first_bad_id == first.pk
    assert "照合した対象者の記録が一致しません" in result.reason


# --- the anomaly view ---------------------------------------------------------------------


def anomalies(client, auditor):
    client.force_login(auditor)
    return client.get(reverse("audit:anomalies"), {"start": "2026-11-01", "end": "2026-11-30"})


def test_five_bulk_runs_show_in_the_anomaly_view(api, people, other_counter, auditor, client, settings):
    """Five runs of 2,000 numbers against the default threshold (50 numbers a day): the same
    sum as five 1,000,000-number runs, without sending 85 MB through the test client."""
    settings.BULK_NUMBERS_PER_CALLER_DAY = 10_000_000
    with time_machine.travel(A_WEDNESDAY, tick=False):
        for run in range(4):
            numbers = strangers(2000, base=300000000000000 + run * 10000)
            assert bulk_check(api(other_counter), numbers).status_code == 200
        content = "\r\n".join(strangers(2000, base=400000000000000)).encode()
        assert recipient_file(api(other_counter), content).status_code == 200
    response = anomalies(client, auditor)
    wide = [r for r in response.context["result"].wide_searchers if r["actor_username"] == "zeimu1"]
    assert [(r["occurred_at__date"], r["n"], r["single"], r["bulk"]) for r in wide] == [
        (datetime.date(2026, 11, 18), 10_000, 0, 10_000)]
    assert "10000" in response.content.decode()


def test_bulk_and_single_numbers_add_up_against_the_threshold(api, people, other_counter, auditor, client, settings):
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "max_atena_per_user_day": 40}
    with time_machine.travel(A_WEDNESDAY, tick=False):
        for number in strangers(5, base=500000000000000):
            api(other_counter).post("/api/v1/inquiry-checks/", {"atena_no": number, "direction": "inquiry"},
                                    format="json")
        bulk_check(api(other_counter), strangers(36))
    wide = anomalies(client, auditor).context["result"].wide_searchers
    assert [(r["actor_username"], r["n"], r["single"], r["bulk"]) for r in wide] == [("zeimu1", 41, 5, 36)]


# --- the daily quota ------------------------------------------------------------------------


def test_the_daily_quota_refuses_with_429_audits_and_alerts_auditors(api, people, other_counter, counter, auditor,
                                                                    client, settings):
    settings.BULK_NUMBERS_PER_CALLER_DAY = 10
    with time_machine.travel(A_WEDNESDAY, tick=False):
        assert bulk_check(api(other_counter), strangers(6)).status_code == 200
        refused = bulk_check(api(other_counter), strangers(6))
        assert refused.status_code == 429
        detail = refused.json()["detail"]
        assert "上限（10 件）" in detail and "本日これまで 6 件" in detail and "今回 6 件" in detail
        # the recipient filter draws on the same quota
        assert recipient_file(api(other_counter), "\r\n".join(strangers(5)).encode()).status_code == 429
        assert recipient_file(api(other_counter), "\r\n".join(strangers(4)).encode()).status_code == 200
        assert bulk_check(api(counter), strangers(10)).status_code == 200  # another caller has their own
    denied = AuditEvent.objects.filter(outcome="denied", actor_username="zeimu1").order_by("id")
    assert [(e.action, e.detail) for e in denied] == [
        ("inquiry.bulk_check", {"reason": "daily_quota", "requested": 6, "used_today": 6, "quota": 10}),
        ("recipient_filter.run", {"reason": "daily_quota", "requested": 5, "used_today": 6, "quota": 10}),
    ]
    with time_machine.travel(A_WEDNESDAY + datetime.timedelta(days=1), tick=False):
        assert bulk_check(api(other_counter), strangers(10)).status_code == 200  # a new day, a new quota
        client.force_login(auditor)
        home = client.get(reverse("audit:home")).content.decode()
        assert "一括処理の1日の上限を超えた要求が 2 件あります" in home
    response = anomalies(client, auditor)
    assert [e.pk for e in response.context["result"].bulk_quota_refusals] == [denied[1].pk, denied[0].pk]
    assert "一括処理の1日の上限を超えた要求（2 件）" in response.content.decode()


def test_the_screen_shows_the_quota_refusal_in_japanese(client, people, other_counter, settings):
    settings.BULK_NUMBERS_PER_CALLER_DAY = 1
    client.force_login(other_counter)
    f = io.BytesIO(b"800000000000001\n800000000000002\n")
    f.name = "list.csv"
    response = client.post("/flags/bulk/check/", {"file": f, "direction": "inquiry"})
    assert response.status_code == 429 and "1日に一括で確認できる件数の上限（1 件）" in response.content.decode()
    assert AuditEvent.objects.filter(action="inquiry.bulk_check", outcome="denied",
                                     detail__reason="daily_quota").count() == 1
