"""The embedded default (SQLite) keeps the file sink and the truncation check: someone with
the database file drops the append-only triggers, deletes the newest events, the anchors and
the verification runs, and `audit_verify` still names the missing range from the file."""
import os
import sqlite3
import subprocess
import sys

from django.conf import settings

APPEND = """
import django
django.setup()
from audit.services import audit_record
for i in range(int(__import__("sys").argv[1])):
    audit_record(actor=None, action="audit.search", detail={"i": i})
"""


def test_sqlite_truncation_is_named_from_the_file_sink(tmp_path):
    db = tmp_path / "embedded.sqlite3"
    sink = tmp_path / "audit-anchors.jsonl"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "config.settings",
           "LOG_LEVEL": "WARNING", "AUDIT_ANCHOR_SINK_FILE": str(sink), "AUDIT_ANCHOR_SINKS": "audit.sinks.FileSink"}
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True, "timeout": 120}

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], **run)

    assert manage("migrate", "--noinput", "-v0").returncode == 0
    subprocess.run([sys.executable, "-c", APPEND, "5"], check=True, **run)
    assert manage("audit_anchor").returncode == 0  # anchors event 5; its own event is 6
    subprocess.run([sys.executable, "-c", APPEND, "4"], check=True, **run)
    assert manage("audit_verify").returncode == 0  # verifies 1..10 and writes that to the file
    assert sink.read_text().count("\n") == 2

    with sqlite3.connect(db) as lite:
        lite.executescript("""
            DROP TRIGGER audit_event_no_delete; DROP TRIGGER audit_anchor_no_delete;
            DELETE FROM audit_auditevent WHERE id >= 3;
            DELETE FROM audit_auditanchor; DELETE FROM audit_verificationrun;
        """)
    lite.close()
    verified = manage("audit_verify")
    assert verified.returncode == 1
    assert "末尾の削除：イベント id 3〜10 の 8 件がありません" in verified.stderr, verified.stderr
