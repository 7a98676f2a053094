"""Anchors and verification results written outside the database (audit/sinks.py, ADR 0018):
an append-only JSON-lines file (O_APPEND, fsync, lines chained by an HMAC) and syslog. Syslog
being down never fails an anchor; the file failing is loud (an audit event, an error, exit 1)."""
import json
import os
import socket
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit import sinks
from audit.models import AuditAnchor, AuditEvent
from audit.services import anchor_create, audit_record, verification_run
from audit.sinks import ExternalLog, FileSink, SinkWriteFailed
from audit.tasks import daily_anchor_and_verify

RECORD_KEYS = {"kind", "record_id", "last_event_id", "event_count", "head_hash", "at", "ok", "prev", "mac"}


def _events(n):
    for i in range(n):
        audit_record(actor=None, action="audit.search", detail={"i": i})


def _lines(settings) -> list[dict]:
    return [json.loads(line) for line in Path(settings.AUDIT_ANCHOR_SINK_FILE).read_text().splitlines()]


def test_each_anchor_and_verification_is_one_chained_line_of_ids_counts_and_hashes(db, settings):
    _events(3)
    run = verification_run()
    anchor = anchor_create()
    first, second = _lines(settings)
    assert set(first) == set(second) == RECORD_KEYS  # nothing else: no personal data has a field to go in
    assert (first["kind"], first["record_id"], first["last_event_id"], first["ok"]) == ("verification", run.pk, 3, True)
    assert (second["kind"], second["record_id"], second["last_event_id"], second["event_count"],
            second["head_hash"]) == ("anchor", anchor.pk, anchor.head_event_id, anchor.event_count, anchor.head_hash)
    assert second["at"] == anchor.created_at.isoformat()
    assert first["prev"] == sinks.GENESIS and second["prev"] == first["mac"]
    assert ExternalLog.parse(Path(settings.AUDIT_ANCHOR_SINK_FILE).read_bytes().splitlines(), source="f").problem == ""


def test_the_file_is_opened_for_appending_and_synced(db, settings, monkeypatch):
    opened, synced = [], []
    real_open, real_fsync = os.open, os.fsync
    monkeypatch.setattr(sinks.os, "open", lambda path, flags, *a: opened.append((str(path), flags))
                        or real_open(path, flags, *a))
    monkeypatch.setattr(sinks.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    Path(settings.AUDIT_ANCHOR_SINK_FILE).write_text("")  # an existing file: written to, never rewritten
    _events(1)
    anchor_create()
    [(path, flags)] = [o for o in opened if o[0] == settings.AUDIT_ANCHOR_SINK_FILE]
    assert flags & os.O_APPEND and not flags & os.O_TRUNC
    assert synced


def test_writers_in_parallel_keep_one_chain(tmp_path):
    sink = FileSink(tmp_path / "anchors.jsonl")
    record = sinks.anchor_record(anchor_id=1, last_event_id=1, event_count=1, head_hash="a" * 64, at="t")

    def write_many():
        for _ in range(25):
            FileSink(sink.path).write(record)
    threads = [threading.Thread(target=write_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = sink.read()
    assert log.problem == "" and len(log.records) == 100


def test_syslog_receives_the_same_sealed_line(db, settings):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        settings.AUDIT_ANCHOR_SINKS = ["audit.sinks.FileSink", "audit.sinks.SyslogSink"]
        settings.AUDIT_ANCHOR_SYSLOG_ADDRESS = f"127.0.0.1:{server.getsockname()[1]}"
        _events(2)
        anchor_create()
        datagram = server.recv(4096).decode()
    assert "dvprotect-audit-anchor: " in datagram
    assert json.loads(datagram.split("dvprotect-audit-anchor: ", 1)[1].rstrip("\x00")) == _lines(settings)[-1]


def test_an_unreachable_syslog_does_not_fail_the_anchor(db, settings, tmp_path, caplog):
    settings.AUDIT_ANCHOR_SINKS = ["audit.sinks.FileSink", "audit.sinks.SyslogSink"]
    settings.AUDIT_ANCHOR_SYSLOG_ADDRESS = str(tmp_path / "no-such-syslog-socket")
    _events(2)
    anchor = anchor_create()
    assert AuditAnchor.objects.filter(pk=anchor.pk).exists() and len(_lines(settings)) == 1
    assert not AuditEvent.objects.filter(action="audit.sink_failed").exists()
    assert [r.levelname for r in caplog.records if "sink syslog unavailable" in r.getMessage()] == ["WARNING"]


def test_a_file_that_cannot_be_written_is_audited_and_fails_the_command(db, settings, tmp_path, capsys, caplog):
    settings.AUDIT_ANCHOR_SINK_FILE = str(tmp_path)  # a directory: the append fails
    _events(2)
    with pytest.raises(SystemExit) as exc:
        call_command("audit_anchor")
    assert exc.value.code == 1 and "外部の記録に書き込めませんでした" in capsys.readouterr().err
    anchor = AuditAnchor.objects.get()  # kept in the database all the same
    failed = AuditEvent.objects.get(action="audit.sink_failed")
    assert failed.outcome == "denied"
    assert failed.detail == {"sink": "file", "kind": "anchor", "record_id": anchor.pk, "error": "IsADirectoryError(21)"}
    assert [r.levelname for r in caplog.records if "sink file failed" in r.getMessage()] == ["ERROR"]


def test_the_daily_task_anchors_even_when_the_verification_result_was_not_written(db, settings, tmp_path):
    settings.AUDIT_ANCHOR_SINK_FILE = str(tmp_path)
    _events(2)
    with pytest.raises(SinkWriteFailed):
        daily_anchor_and_verify()
    assert AuditAnchor.objects.count() == 1
    assert sorted(AuditEvent.objects.filter(action="audit.sink_failed").values_list("detail__kind", flat=True)) == \
        ["anchor", "verification"]


def test_verify_now_on_the_screen_says_when_the_result_was_not_written(client, make_staff, settings, tmp_path):
    auditor = make_staff("auditor1", "kansa", "auditor")
    client.force_login(auditor)
    settings.AUDIT_ANCHOR_SINK_FILE = str(tmp_path)
    response = client.post(reverse("audit:verify"), follow=True)
    assert response.status_code == 200
    assert "データベース外の記録（追記専用ファイル）に書き込めませんでした" in response.content.decode()
