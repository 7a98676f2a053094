"""The embedded default (make run) is one SQLite file shared by the web and worker processes.
Concurrent audit appends from separate processes must all land, in one unbroken chain —
without IMMEDIATE transactions two of three writers died with "database is locked"."""
import os
import subprocess
import sys

from django.conf import settings

APPEND = """
import os, django
django.setup()
from audit.services import audit_record
for i in range(100):
    audit_record(actor=None, action="audit.search", detail={"i": i})
"""


def test_processes_sharing_the_sqlite_file_append_one_chain(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, **run)
    writers = [subprocess.Popen([sys.executable, "-c", APPEND], cwd=settings.BASE_DIR, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    failures = [w.communicate(timeout=120)[1][-300:] for w in writers if w.wait(timeout=120) != 0]
    assert failures == []
    verified = subprocess.run([sys.executable, "manage.py", "audit_verify"], **run)
    assert verified.returncode == 0, verified.stderr
    assert "OK: 300 events verified" in verified.stdout
