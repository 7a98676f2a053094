"""Restore drill (issue 14, docs/operations.md): a populated PostgreSQL database is dumped with
`pg_dump -Fc` and restored with `pg_restore` into a fresh database; in a fresh process against
the restored one, `audit_verify` passes against the anchors kept outside the database, the
reconciliation with the intermediate server finds no drift, and the app serves (/readyz, the
home page, a person's page for a signed-in head). The embedded SQLite default is copied with
SQLite's online backup and verified the same way. `make restore-drill` runs this file."""
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from audit.services import anchor_create
from intermediary import channels, services
from intermediary.emulator.server import Emulator
from intermediary.emulator.store import Store
from intermediary.models import Operation, OperationStatus
from victims import services as victim_services

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("INTERMEDIARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def _pg(db_name: str | None = None) -> list[str]:
    d = connection.settings_dict
    return ["-h", d["HOST"] or "127.0.0.1", "-p", str(d["PORT"] or 5432), "-U", d["USER"] or "postgres",
            *(["-d", db_name] if db_name else [])]


def _url(db_name: str) -> str:
    d = connection.settings_dict
    return f"postgres://{d['USER'] or 'postgres'}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{db_name}"


def _populate(tmp_path, settings, monkeypatch, counter, approver, register):
    """Three persons set and one of them released, every flag delivered to an emulator (in
    process) and reflected; then the day's anchor, written to the sink outside the database."""
    for kind in ("outbound", "inbound", "quarantine"):
        setattr(settings, f"INTERMEDIARY_{kind.upper()}_DIR", tmp_path / kind)
        (tmp_path / kind).mkdir()
    settings.INTERMEDIARY_CHANNEL, settings.INTERMEDIARY_CLOCK_FILE = "web_service", ""
    monkeypatch.setattr(services, "nudge_delivery", lambda ids: None)
    emulator = Emulator(store=Store(tmp_path / "emulator.sqlite3"), outbound=tmp_path / "outbound",
                        inbound=tmp_path / "inbound", cfg=services.window_config())

    def send(**record):
        status, body, _ = emulator.ws_apply(record)
        return channels.SendResult(status == 200 and body.get("result") == "OK")
    monkeypatch.setattr(channels, "web_service_send", send)
    targets = []
    for _ in range(3):
        target, cr = register(counter)
        victim_services.change_request_approve(actor=approver, change_request_id=cr.pk)
        targets.append(target)
    release = victim_services.release_request_create(actor=counter, target_id=targets[0].pk, reason="wish",
                                                     case_ids=None)
    victim_services.change_request_approve(actor=approver, change_request_id=release.pk)
    for op_id in services.sweep(now=timezone.now())["redrive"]:
        services.operation_deliver_web_service(operation_id=op_id)
    assert not Operation.objects.exclude(status=OperationStatus.REFLECTED).exists()
    emulator.store.db.close()
    anchor_create()
    return targets


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump/pg_restore drill: PostgreSQL only")
def test_pg_dump_and_restore_into_a_fresh_database(live_db, tmp_path, settings, monkeypatch, counter, approver,
                                                    register, capsys):
    targets = _populate(tmp_path, settings, monkeypatch, counter, approver, register)
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "nightly.dump"
    subprocess.run(["dropdb", "--if-exists", *_pg(), restored], check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), *_pg(source)], check=True, capture_output=True)
    dumped = time.monotonic()
    try:
        subprocess.run(["createdb", *_pg(), restored], check=True, capture_output=True)
        subprocess.run(["pg_restore", "--exit-on-error", "--no-owner", *_pg(restored), str(dump)], check=True,
                       capture_output=True)
        restored_at = time.monotonic()
        env = {**os.environ, "DATABASE_URL": _url(restored), "CELERY_BROKER_URL": REDIS_URL,
               "INTERMEDIARY_EMULATOR_DB": str(tmp_path / "emulator.sqlite3"),
               "INTERMEDIARY_OUTBOUND_DIR": str(tmp_path / "outbound"), "PYTHONPATH": str(ROOT)}
        result = subprocess.run([sys.executable, "-m", "tests.ops.restore_check", approver.username,
                                 str(targets[1].pk), targets[1].atena_no],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        answer = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["dropdb", "--if-exists", *_pg(), restored], check=True, capture_output=True)
    with capsys.disabled():
        print(f"\n[restore-drill:pg] dump {dump.stat().st_size:,} bytes in {dumped - started:.2f}s, "
              f"restore {restored_at - dumped:.2f}s; {answer}")
    assert answer["verified"], answer["verify_output"]
    assert answer["verify_output"].startswith("OK:") and "1 anchors matched" in answer["verify_output"]
    assert answer["flags_listed"] == 6 and answer["drift_alerts"] == 0
    assert (answer["readyz"], answer["home"], answer["person"]) == (200, 200, 200)
    assert answer["person_page_has_number"]


def test_sqlite_online_backup_restores_a_verifiable_copy(tmp_path, capsys):
    """The embedded default: `manage.py migrate`, `seed_demo`, `audit_anchor` on a SQLite file;
    a copy made with SQLite's online backup (what `sqlite3 db ".backup copy"` does) verifies
    against the same external anchors. A plain file copy is as good only while no process writes
    (docs/operations.md)."""
    db, copy, sink = tmp_path / "dvprotect.sqlite3", tmp_path / "backup.sqlite3", tmp_path / "anchors.jsonl"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "AUDIT_ANCHOR_SINK_FILE": str(sink),
           "AUDIT_ANCHOR_SINKS": "audit.sinks.FileSink", "CELERY_BROKER_URL": "filesystem://",
           "CELERY_FS_BROKER_DIR": str(tmp_path / "celery")}

    def manage(*args, database=db):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                              env={**env, "DATABASE_URL": f"sqlite:///{database}"}, timeout=300)
    for step in (("migrate", "--noinput"), ("seed_demo",), ("audit_anchor",)):
        done = manage(*step)
        assert done.returncode == 0, done.stderr[-2000:]
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    source.backup(target)  # consistent even while the app writes (SQLite's online backup)
    target.close()
    source.close()
    verified = manage("audit_verify", database=copy)
    with capsys.disabled():
        print(f"\n[restore-drill:sqlite] {copy.stat().st_size:,} bytes; {verified.stdout.strip()}")
    assert verified.returncode == 0 and verified.stdout.startswith("OK:"), verified.stderr
