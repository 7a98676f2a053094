"""Several processes at once (issue 14): result files claimed once by overlapping ingests,
periodic ticks that expire instead of piling up, one open alert per cause under a race, and
the single-beat lock. Real PostgreSQL commits (threads, each with its own connection)."""
import datetime
import os
import threading
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import IntegrityError, connection, transaction

from config import beat
from config.celery import DAILY_EXPIRES_SECONDS, app
from intermediary import batch_xml, result_claims, services, tasks
from intermediary.clock import set_now
from intermediary.emulator.server import Emulator
from intermediary.emulator.store import Store
from intermediary.models import Alert, AlertKind, Operation, OperationStatus
from intermediary.windows import JST, WindowConfig
from victims import services as flag_services


def at(hh, mm, ss=0):
    return datetime.datetime(2026, 11, 24, hh, mm, ss, tzinfo=JST)


@pytest.fixture
def xml(tmp_path, settings):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path / "outbound"
    settings.INTERMEDIARY_INBOUND_DIR = tmp_path / "inbound"
    settings.INTERMEDIARY_QUARANTINE_DIR = tmp_path / "quarantine"
    settings.INTERMEDIARY_CLOCK_FILE = str(tmp_path / "clock")
    settings.INTERMEDIARY_CHANNEL = "xml_batch"
    settings.INTERMEDIARY_SERVICE_HOURS, settings.INTERMEDIARY_STOP_HOURS = "06:00-23:30", "01:00-05:00"
    settings.INTERMEDIARY_DAILY_AT = "02:00"
    emu = Emulator(store=Store(tmp_path / "emu.sqlite3"), outbound=tmp_path / "outbound",
                   inbound=tmp_path / "inbound", cfg=WindowConfig.from_settings(settings))
    return emu, tmp_path / "clock"


def result_files_of_three_windows(xml, counter, approver, register) -> list[Path]:
    """Three NO_AUTO_RESPONSE windows, each with one approval, answered by the emulator and
    left in the inbound folder unread."""
    emu, clock = xml
    for minute in (5, 10, 15):
        set_now(clock, at(10, minute - 3))
        target, cr = register(counter)
        flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
        set_now(clock, at(10, minute - 1, 30))
        assert tasks.xml_batch_tick()
        set_now(clock, at(10, minute))
        assert emu.poll_files() == 1
    inbound = sorted(emu.inbound.glob("*.xml"))
    assert len(inbound) == 3
    return inbound


def test_two_overlapping_ingests_parse_each_result_file_once(live_db, xml, counter, approver, register,
                                                             monkeypatch):
    files = result_files_of_three_windows(xml, counter, approver, register)
    parsed: list[str] = []
    real_parse = batch_xml.parse_result_file
    start = threading.Barrier(2)

    def slow_parse(path):
        parsed.append(path.name)
        time.sleep(0.2)  # both ingests are inside their loops at the same time
        return real_parse(path)

    monkeypatch.setattr(batch_xml, "parse_result_file", slow_parse)
    outcomes: list[dict] = []

    def ingest():
        try:
            start.wait(timeout=10)
            outcomes.append(services.results_ingest())
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(parsed) == sorted(f.name for f in files)  # every file parsed, none twice
    assert sum(o.get("applied", 0) for o in outcomes) == 3
    assert sum(o.get("claimed_elsewhere", 0) for o in outcomes) <= 3
    assert not Operation.objects.filter(flag_kind="NO_AUTO_RESPONSE").exclude(status=OperationStatus.REFLECTED)
    processed = xml[0].inbound / "processed"
    assert sorted(p.name for p in processed.iterdir()) == sorted(f.name for f in files)
    assert not any((xml[0].inbound / result_claims.PROCESSING).iterdir())


def test_an_ingest_that_starts_while_another_is_parsing_skips_the_files_already_claimed(db, xml, counter, approver,
                                                                                       register, monkeypatch):
    """The same overlap, made deterministic (and runnable on SQLite): while the first ingest
    parses its first file, a second ingest runs to the end."""
    files = result_files_of_three_windows(xml, counter, approver, register)
    parsed: list[str] = []
    real_parse = batch_xml.parse_result_file
    inner: list[dict] = []

    def parse_and_overlap(path):
        parsed.append(path.name)
        if not inner:
            inner.append({})
            inner[0] = services.results_ingest()
        return real_parse(path)

    monkeypatch.setattr(batch_xml, "parse_result_file", parse_and_overlap)
    outer = services.results_ingest()
    assert sorted(parsed) == sorted(f.name for f in files)
    assert inner[0] == {"applied": 2}  # the two files the first ingest had not claimed yet
    assert outer == {"applied": 1, "claimed_elsewhere": 2}


def test_a_claim_left_by_a_dead_ingest_is_put_back_after_the_claim_timeout(db, xml, counter, approver, register,
                                                                           settings):
    files = result_files_of_three_windows(xml, counter, approver, register)
    inbound = xml[0].inbound
    dead, fresh = result_claims.claim(files[0]), result_claims.claim(files[1])
    assert dead is not None and fresh is not None
    claimed_at = dead.stat().st_mtime
    os.utime(dead, (claimed_at - settings.INTERMEDIARY_CLAIM_TIMEOUT_SECONDS - 5,) * 2)
    assert result_claims.claim(files[0]) is None  # already claimed: a second claim loses
    assert services.results_ingest() == {"applied": 2}  # the dead one put back, plus the third
    assert (inbound / result_claims.PROCESSING / fresh.name).exists()  # a live ingest's claim is left alone
    assert sorted(p.name for p in (inbound / "processed").iterdir()) == sorted([files[0].name, files[2].name])


def test_every_beat_entry_expires_before_its_next_tick():
    app.finalize(auto=True)
    for name, entry in app.conf.beat_schedule.items():
        expires = entry["options"]["expires"]
        schedule = entry["schedule"]
        if isinstance(schedule, float | int):
            assert 0 < expires <= schedule, name  # a queued tick never meets the next one
        else:
            assert expires == DAILY_EXPIRES_SECONDS < 24 * 3600, name


def test_the_file_tasks_are_routed_to_the_transfer_queue_when_one_is_set(settings):
    settings.CELERY_TASK_ROUTES = {n: {"queue": "transfer"} for n in settings.INTERMEDIARY_FILE_TASKS}
    routed = Celery("check")
    routed.config_from_object("django.conf:settings", namespace="CELERY")
    router = routed.amqp.router
    for name in ("intermediary.xml_batch_tick", "intermediary.results_ingest", "intermediary.sweep"):
        assert router.route({}, name)["queue"].name == "transfer"
    assert router.route({}, "intermediary.deliver_operation")["queue"].name == "celery"


def test_at_most_one_open_alert_per_cause(db):
    now = at(10, 0)
    Alert.objects.create(kind=AlertKind.MISMATCH, cause="unit:atena:1:NONDISCLOSURE", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind=AlertKind.MISMATCH, cause="unit:atena:1:NONDISCLOSURE", created_at=now)
    Alert.objects.update(resolved_at=now)
    Alert.objects.create(kind=AlertKind.MISMATCH, cause="unit:atena:1:NONDISCLOSURE", created_at=now)  # a new one
    assert Alert.objects.count() == 2


def test_alerts_opened_for_one_cause_at_the_same_moment_are_one(live_db):
    start = threading.Barrier(4)
    got: list[int] = []

    def open_alert():
        try:
            start.wait(timeout=10)
            got.append(services.alert_open(kind=AlertKind.DEAD, cause="operation:x", now=at(10, 0),
                                           detail={"code": "E1"}).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_alert) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(got) == 4 and len(set(got)) == 1
    assert Alert.objects.filter(cause="operation:x").count() == 1


def test_the_reconciliation_run_twice_keeps_one_alert_per_mismatch(db, counter, approver, register):
    target, cr = register(counter)
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    Operation.objects.update(status=OperationStatus.REFLECTED)
    for _ in range(2):
        services.reconcile(listing={}, now=at(10, 0))
    assert Alert.objects.filter(kind=AlertKind.MISMATCH, unit_key=target.atena_no).count() == 2  # two flags


def test_a_second_file_lock_beat_is_refused(tmp_path):
    first, second = beat.FileBeatLock(tmp_path / "beat.lock"), beat.FileBeatLock(tmp_path / "beat.lock")
    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


def test_a_second_beat_of_the_configured_database_is_refused_until_the_first_lets_go(db, settings, tmp_path):
    """PostgreSQL: the advisory lock (tests/multiprocess/test_single_beat.py runs real beats);
    SQLite: the file lock next to the schedule."""
    settings.CELERY_BEAT_LOCK_FILE = str(tmp_path / "beat.lock")
    first, second = beat.beat_lock(), beat.beat_lock()
    assert isinstance(first, beat.PostgresBeatLock if connection.vendor == "postgresql" else beat.FileBeatLock)
    assert first.acquire() is True and first.held()
    assert second.acquire() is False and not second.held()
    first.release()
    assert second.acquire() is True
    second.release()


class FakeLock:
    def __init__(self, answers):
        self.answers, self.acquired = list(answers), 0

    def held(self) -> bool:
        return False  # the session that held it ended (a database restart)

    def acquire(self):
        self.acquired += 1
        return self.answers.pop(0)

    def release(self) -> None:
        pass


def test_a_beat_that_lost_its_lock_schedules_nothing_until_it_has_it_again(tmp_path, monkeypatch):
    scheduler = beat.SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    sent = []
    monkeypatch.setattr(beat.PersistentScheduler, "tick", lambda self, *a, **kw: sent.append(1) or 1.0)
    scheduler._beat_lock = FakeLock([None, True, False])
    assert scheduler.tick() == beat.RETRY_SECONDS and sent == []  # database unreachable: nothing sent
    assert scheduler.tick() == 1.0 and sent == [1]  # the lock is back: scheduling resumes
    with pytest.raises(beat.AnotherBeatRuns):
        scheduler.tick()  # another beat took it meanwhile: this one stops
    assert sent == [1]
