"""The anomaly view's daily counts (ADR 0070): written once per closed day by the beat, the
same answers as counting the events, append-only, and recounted by `audit_verify --counts`.
On PostgreSQL and SQLite alike."""
import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit import day_counts, tasks
from audit.actions import AuditAction
from audit.day_counts import count_closed_days, verify_counts
from audit.models import AuditCountedDay, AuditDayCount, AuditEvent
from audit.selectors import anomalies
from audit.services import audit_record
from config.celery import _beat_schedule

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
DAY = datetime.date(2026, 11, 18)


def _at(day: datetime.date, hour: int):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST), tick=False)


@pytest.fixture
def busy_day(db, counter, other_counter, settings):
    """counter1 reads four people and looks up three numbers on DAY; zeimu1 reads one."""
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "max_targets_per_user_day": 2, "max_atena_per_user_day": 2}
    # Events start the day before, so the fixtures' events (created now) come first in the log.
    with _at(DAY, 10):
        for t in (11, 12, 13, 14, 11):
            audit_record(actor=counter, action=AuditAction.TARGET_READ, target_id=t)
        for n in ("100000000000001", "100000000000002", "100000000000003"):
            audit_record(actor=counter, action=AuditAction.INQUIRY_CHECK, detail={"atena_no": n})
        audit_record(actor=other_counter, action=AuditAction.TARGET_READ, target_id=11)


def _result(auditor):
    return anomalies(actor=auditor, start=DAY, end=DAY)


def test_counted_days_give_the_answers_the_events_give(busy_day, auditor):
    with _at(DAY + datetime.timedelta(days=1), 12):
        live = _result(auditor)
        days, more = count_closed_days(limit=400)
        assert DAY in days and not more
        counted = _result(auditor)
    assert [(r["actor_username"], r["n"]) for r in live.heavy_readers] == [("counter1", 4)]
    assert [(r["actor_username"], r["n"]) for r in counted.heavy_readers] == [("counter1", 4)]
    assert [(r["actor_username"], r["single"]) for r in counted.wide_searchers] == \
        [(r["actor_username"], r["single"]) for r in live.wide_searchers] == [("counter1", 3)]
    row = AuditCountedDay.objects.get(day=DAY)
    event = AuditEvent.objects.get(pk=row.event_id)
    assert event.action == "audit.day_counts" and event.detail == {
        "day": "2026-11-18", "rows": row.rows, "sha256": row.sha256,
        "kinds": ["targets_read", "numbers_looked_up", "numbers_with_bulk"]}
    assert verify_counts() == (None, "")


def _bulk(actor, count):
    audit_record(actor=actor, action=AuditAction.INQUIRY_BULK_CHECK, detail={"count": count, "hit_count": 0})


@pytest.fixture
def bulk_day(busy_day, counter, other_counter):
    """On DAY counter1 also checks 5 numbers in bulk (3 typed + 5 = 8) and zeimu1 checks 40 in
    bulk with no typed number; on the day after, counter1 types one number and checks 2 in bulk."""
    with _at(DAY, 11):
        _bulk(counter, 5)
        _bulk(other_counter, 40)
    with _at(DAY + datetime.timedelta(days=1), 9):
        audit_record(actor=counter, action=AuditAction.INQUIRY_CHECK, detail={"atena_no": "100000000000009"})
        _bulk(counter, 2)


def _wide(result):
    return sorted((str(r["occurred_at__date"]), r["actor_username"], r["n"], r["single"], r["bulk"])
                  for r in result.wide_searchers)


EXPECTED_WIDE = [("2026-11-18", "counter1", 8, 3, 5), ("2026-11-18", "zeimu1", 40, 0, 40),
                 ("2026-11-19", "counter1", 3, 1, 2)]


def test_bulk_look_ups_are_counted_into_the_day_and_answer_as_the_events(bulk_day, auditor):
    """ADR 0087: a counted day's wide searchers come from its numbers_with_bulk rows, with the
    typed part from its numbers_looked_up rows: the same as counting the events."""
    end = DAY + datetime.timedelta(days=1)
    with _at(end + datetime.timedelta(days=1), 12):
        live = anomalies(actor=auditor, start=DAY, end=end)
        count_closed_days(limit=400)
        counted = anomalies(actor=auditor, start=DAY, end=end)
    assert _wide(live) == _wide(counted) == EXPECTED_WIDE
    assert sorted(AuditDayCount.objects.filter(kind="numbers_with_bulk").values_list("day", "actor_username", "n")) \
        == [(DAY, "counter1", 8), (DAY, "zeimu1", 40), (end, "counter1", 3)]
    assert verify_counts() == (None, "")


def test_a_day_counted_before_the_bulk_kind_answers_from_its_events(bulk_day, auditor):
    """A day counted by the earlier version (its event names no kinds, no numbers_with_bulk
    rows) is read as before: its bulk look-ups from the events; its recount uses its own kinds."""
    end = DAY + datetime.timedelta(days=1)
    with _at(end + datetime.timedelta(days=1), 12):
        # What the earlier version wrote for DAY: its two kinds, an event without "kinds".
        rows = day_counts._count(DAY, day_counts.LEGACY_KINDS)
        sha = day_counts.digest(rows)
        AuditDayCount.objects.bulk_create([AuditDayCount(day=DAY, kind=k, actor_username=u, department_code=d, n=n)
                                           for k, u, d, n in rows])
        event = audit_record(actor=None, action=AuditAction.AUDIT_DAY_COUNTS,
                             detail={"day": DAY.isoformat(), "rows": len(rows), "sha256": sha})
        AuditCountedDay.objects.create(day=DAY, rows=len(rows), sha256=sha, counted_at=event.occurred_at,
                                       event_id=event.pk)
        count_closed_days(limit=400)  # the day after: counted with every kind
        result = anomalies(actor=auditor, start=DAY, end=end)
    assert not AuditDayCount.objects.filter(day=DAY, kind="numbers_with_bulk").exists()
    assert AuditDayCount.objects.filter(day=end, kind="numbers_with_bulk").exists()
    assert _wide(result) == EXPECTED_WIDE
    assert verify_counts() == (None, "")


def test_today_is_never_counted_and_a_day_is_counted_once(busy_day):
    with _at(DAY, 18):
        assert DAY not in count_closed_days(limit=400)[0]
    with _at(DAY + datetime.timedelta(days=2), 12):
        count_closed_days(limit=400)
        assert count_closed_days(limit=400) == ([], False)
    assert AuditCountedDay.objects.filter(day=DAY).count() == 1


def test_the_task_continues_when_more_days_are_left(busy_day, settings, monkeypatch):
    settings.AUDIT_DAY_COUNTS_PER_RUN = 1
    queued = []
    monkeypatch.setattr(tasks.day_counts, "apply_async", lambda **kw: queued.append(kw))
    with _at(DAY + datetime.timedelta(days=3), 12):
        tasks.day_counts()
    assert AuditCountedDay.objects.count() == 1 and queued == [{"countdown": 1}]
    assert _beat_schedule()["audit-day-counts"]["task"] == "audit.day_counts"


def _as_superuser(sql, params):
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        else:
            for table, op in (("audit_auditdaycount", "update"), ("audit_auditevent", "update")):
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}" if table != "audit_auditevent"
                            else "DROP TRIGGER IF EXISTS audit_event_no_update")
        cur.execute(sql, params)


@pytest.mark.parametrize(("volume", "kind", "username"), [("busy_day", "targets_read", "counter1"),
                                                          ("bulk_day", "numbers_with_bulk", "zeimu1")])
def test_counts_altered_are_found(request, volume, kind, username, capsys):
    request.getfixturevalue(volume)
    with _at(DAY + datetime.timedelta(days=2), 12):
        count_closed_days(limit=400)
    _as_superuser("UPDATE audit_auditdaycount SET n = 1 WHERE actor_username = %s AND kind = %s", [username, kind])
    day, reason = verify_counts()
    assert day == DAY and "集計の改ざん" in reason
    with pytest.raises(SystemExit):
        call_command("audit_verify", "--counts")
    assert "集計の改ざん" in capsys.readouterr().err


def test_an_event_altered_after_counting_is_found_by_the_recount(busy_day):
    with _at(DAY + datetime.timedelta(days=1), 12):
        count_closed_days(limit=400)
    read = AuditEvent.objects.filter(action="target.read", target_id=14).get()
    _as_superuser("UPDATE audit_auditevent SET target_id = 11 WHERE id = %s", [read.pk])
    day, reason = verify_counts()
    assert day == DAY and "イベントの改ざん" in reason


def test_the_counts_are_append_only(busy_day):
    with _at(DAY + datetime.timedelta(days=1), 12):
        count_closed_days(limit=400)
    for table in ("audit_auditdaycount", "audit_auditcountedday"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - a constant table name
    assert AuditDayCount.objects.exists()
