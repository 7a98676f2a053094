"""The application's database role cannot undo the audit log's protection (ADR 0018).

A role made as docs/operations/db_roles.md says (NOSUPERUSER NOREPLICATION, owning nothing)
and granted by `manage.py db_app_role` connects over TCP with psycopg and is refused what the
red team did as superuser: disabling the triggers, replica mode, deleting or changing events.
The product itself still runs as that role: anchor, verify and append an event.
Roles are cluster-wide and other helpers share the server: one unique role per test, dropped after."""
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import errors

from audit.services import audit_record

PASSWORD = "app-role-test-only"


def _create_role(name: str, replication: str = "NOREPLICATION") -> None:
    """As docs/operations/db_roles.md creates it (`replication` only to test the refusal)."""
    with connection.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s NOSUPERUSER NOCREATEDB NOCREATEROLE '
                    f"{replication} NOBYPASSRLS", [PASSWORD])


def _drop_role(name: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f'DROP OWNED BY "{name}"')  # its grants in this database
        cur.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def app_role(live_db):
    name = f"dv_app_test_{uuid.uuid4().hex[:12]}"
    _create_role(name)
    try:
        call_command("db_app_role", name)
        yield name
    finally:
        _drop_role(name)


def _connect(role: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"],
                           user=role, password=PASSWORD, autocommit=True)


BYPASSES = [
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE audit_auditanchor DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_no_update_delete ON audit_auditevent",
    "SET session_replication_role = replica",
    "DELETE FROM audit_auditevent",
    "UPDATE audit_auditevent SET action = 'x'",
    "TRUNCATE audit_auditevent",
    "DELETE FROM audit_auditanchor",
    "DELETE FROM audit_verificationrun",
    "UPDATE audit_verificationrun SET ok = true",
    "UPDATE audit_auditanchor SET head_hash = 'x'",
]


def test_the_app_role_cannot_bypass_or_shorten_the_log(app_role):
    """Each statement on its own (autocommit): one role and one flush for all, the flush is slow."""
    audit_record(actor=None, action="audit.search")
    allowed = []
    with _connect(app_role) as conn:
        for sql in BYPASSES:
            try:
                conn.execute(sql)
                allowed.append(sql)
            except errors.InsufficientPrivilege:
                pass
    assert allowed == []
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_auditevent")
        assert cur.fetchone() == (1,)


def test_the_app_role_is_no_superuser_and_owns_nothing(app_role):
    with _connect(app_role) as conn:
        assert conn.execute("SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user"
                            ).fetchone() == (False, False, False)
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone() == (0,)


def test_the_product_runs_as_the_app_role(app_role, tmp_path):
    """Appending events (the chain head moves), anchoring and verifying, all as the app role."""
    for i in range(3):
        audit_record(actor=None, action="audit.search", detail={"i": i})
    db = connection.settings_dict
    url = f"postgres://{app_role}:{PASSWORD}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True, "timeout": 120}
    appended = subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                               "from audit.services import audit_record; "
                               "print(audit_record(actor=None, action='audit.search').pk)"], **run)
    assert appended.returncode == 0, appended.stderr[-1500:]
    assert appended.stdout.strip() == "4"
    anchored = subprocess.run([sys.executable, "manage.py", "audit_anchor"], **run)
    assert anchored.returncode == 0, anchored.stderr[-1500:]
    verified = subprocess.run([sys.executable, "manage.py", "audit_verify"], **run)
    assert verified.returncode == 0, verified.stderr[-1500:]
    assert "OK: 5 events verified, 1 anchors matched" in verified.stdout


def test_a_role_that_could_bypass_the_triggers_is_refused(live_db):
    name = f"dv_app_test_{uuid.uuid4().hex[:12]}"
    _create_role(name, replication="REPLICATION")
    try:
        with pytest.raises(CommandError, match="rolreplication"):
            call_command("db_app_role", name)
    finally:
        _drop_role(name)
