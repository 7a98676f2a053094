"""Upgrade test: a database migrated and filled at an earlier release migrates forward with
everything intact (see tests/upgrade/README.md for how a release adds its fixture).

For every fixture directory × {postgresql, sqlite}:
1. restore the release's dump into a fresh database (PostgreSQL: a new `h1_upgrade_…`
   database and `psql -f`; SQLite: the file decompressed into tmp_path);
2. `manage.py migrate --noinput` in a subprocess (the current code);
3. read every fact of expected.json again with the fact's own raw SQL on table names (no
   model is imported: models move between apps, tables keep their names);
4. check the audit chain: the fixture's events unchanged up to its head hash, then
   `manage.py audit_verify` exits 0 over them and any events the upgrade appended;
5. tests/upgrade/check_api.py in a subprocess issues API tokens with `manage.py
   issue_api_token` (a linkage counter of the fixture, and the users of the visibility
   expectations) and asks the public API every inquiry-check and visibility expectation.
The (fixture, backend) pipelines run side by side in threads (they are subprocesses).
Nothing depends on today's date: the fixture was filled with a frozen clock, and the
checks compare stored facts and answers that do not change with time.
"""
import datetime
import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES_ROOT = Path(os.environ.get("UPGRADE_FIXTURES", HERE / "fixtures"))
FIXTURES = sorted(p for p in FIXTURES_ROOT.iterdir() if (p / "expected.json").exists()) \
    if FIXTURES_ROOT.is_dir() else []

# A later release that deliberately renames a table or column adds the rewrite here
# (old SQL text → new), so older fixtures' facts keep meaning the same thing. Empty while
# tables keep their names.
SQL_REWRITES: list[tuple[str, str]] = []

def _pg():
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        return None
    return {"host": db.get("HOST") or "127.0.0.1", "port": str(db.get("PORT") or 5432),
            "user": db.get("USER") or "postgres", "password": db.get("PASSWORD") or ""}


def _run(args, env, timeout=180):
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def _normalize(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


class Upgraded:
    """One fixture restored and migrated; every step's outcome, recorded in order."""

    def __init__(self, fixture: Path, backend: str, tmp: Path):
        self.fixture, self.backend, self.tmp = fixture, backend, tmp
        self.expected = json.loads((fixture / "expected.json").read_text())
        self.pg = _pg()
        self.dbname: str | None = None

    # -- restore -------------------------------------------------------------------------
    def restore(self) -> None:
        if self.backend == "postgresql":
            dbname = self.dbname = f"h1_upgrade_{uuid.uuid4().hex[:12]}"
            pg = self.pg
            env = {**os.environ, "PGPASSWORD": pg["password"]}
            conn = ["-h", pg["host"], "-p", pg["port"], "-U", pg["user"]]
            sql = self.tmp / "dump.sql"
            sql.write_bytes(gzip.decompress((self.fixture / "postgresql.sql.gz").read_bytes()))
            subprocess.run(["createdb", *conn, dbname], env=env, check=True, capture_output=True)
            done = subprocess.run(["psql", *conn, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-f", str(sql)],
                                  env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]
            auth = f"{pg['user']}:{pg['password']}@" if pg["password"] else f"{pg['user']}@"
            self.url = f"postgres://{auth}{pg['host']}:{pg['port']}/{self.dbname}"
        else:
            self.path = self.tmp / "upgraded.sqlite3"
            self.path.write_bytes(gzip.decompress((self.fixture / "sqlite3.db.gz").read_bytes()))
            self.url = f"sqlite:///{self.path}"
        # The anchor sink belongs to one database: each restored copy gets its own file.
        self.env = {**os.environ, "DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "config.settings",
                    "LOG_LEVEL": "WARNING", "AUDIT_ANCHOR_SINK_FILE": str(self.tmp / "audit-anchors.jsonl"),
                    "AUDIT_ANCHOR_SINKS": "audit.sinks.FileSink"}

    def drop(self) -> None:
        if self.dbname:
            pg = self.pg
            subprocess.run(["dropdb", "-h", pg["host"], "-p", pg["port"], "-U", pg["user"], "--if-exists", "--force",
                            self.dbname], env={**os.environ, "PGPASSWORD": pg["password"]}, capture_output=True)

    # -- raw SQL, no Django models -------------------------------------------------------
    def query(self, sql: str, params=()) -> list[list]:
        for old, new in SQL_REWRITES:
            sql = sql.replace(old, new)
        if self.backend == "postgresql":
            with psycopg.connect(host=self.pg["host"], port=self.pg["port"], user=self.pg["user"],
                                 password=self.pg["password"] or None, dbname=self.dbname) as pg_conn:
                rows = pg_conn.execute(sql.replace("?", "%s"), params).fetchall() if params else \
                    pg_conn.execute(sql).fetchall()
        else:
            with sqlite3.connect(self.path) as lite_conn:
                rows = lite_conn.execute(sql, params).fetchall()
            lite_conn.close()
        return [[_normalize(v) for v in row] for row in rows]

    # -- the steps -------------------------------------------------------------------------
    def run_all(self) -> None:
        self.migrate = _run([sys.executable, "manage.py", "migrate", "--noinput"], self.env)
        if self.migrate.returncode != 0:
            return
        audit = self.expected["audit"]
        head = audit["head_id"]
        self.facts = []
        for fact in self.expected["facts"]:
            sql = fact["sql"].replace("{audit_head_id}", str(int(head)))
            rows: list[list[Any]] | str
            try:
                rows = self.query(sql)
            except Exception as exc:  # noqa: BLE001 — a missing table or column is a finding
                rows = f"{type(exc).__name__}: {exc}"
            self.facts.append((fact["name"], fact["rows"], rows))
        self.events_after_migrate = self.query("SELECT COUNT(*) FROM audit_auditevent")[0][0]
        self.fixture_events = self.query("SELECT COUNT(*) FROM audit_auditevent WHERE id <= ?", [head])[0][0]
        self.head_hash = (self.query("SELECT hash FROM audit_auditevent WHERE id = ?", [head]) or [[None]])[0][0]
        self.appended = self.query("SELECT id, action FROM audit_auditevent WHERE id > ? ORDER BY id", [head])
        self.verify = _run([sys.executable, "manage.py", "audit_verify"], self.env)
        # check_api.py issues its tokens with `manage.py issue_api_token` (call_command, the
        # same command an operator runs), which saves a Django start-up per user.
        self.api = _run([sys.executable, str(HERE / "check_api.py"), str(self.fixture / "expected.json")], self.env)
        lines = [line for line in self.api.stdout.splitlines() if line.startswith("RESULT ")]
        self.api_result = json.loads(lines[-1][len("RESULT "):]) if lines else None


def _params():
    for fixture in FIXTURES:
        for backend in ("postgresql", "sqlite"):
            yield pytest.param((fixture, backend), id=f"{fixture.name}-{backend}")


@pytest.fixture(scope="module")
def _pipelines(tmp_path_factory):
    """Every (fixture, backend) restored, migrated and checked at once: the steps are mostly
    Django start-ups in subprocesses, so running them side by side halves the wall time."""
    ups = {}
    for param in _params():
        fixture, backend = param.values[0]
        if backend == "postgresql" and (_pg() is None or not shutil.which("psql")):
            continue
        ups[(fixture, backend)] = Upgraded(fixture, backend,
                                           tmp_path_factory.mktemp(f"upgrade-{fixture.name}-{backend}"))

    def run(up):
        up.restore()
        up.run_all()

    with ThreadPoolExecutor(max_workers=max(1, len(ups))) as pool:
        futures = {key: pool.submit(run, up) for key, up in ups.items()}
    try:
        yield {key: (ups[key], future.exception()) for key, future in futures.items()}
    finally:
        for up in ups.values():
            up.drop()


@pytest.fixture(params=list(_params()))
def upgraded(request, _pipelines):
    fixture, backend = request.param
    if (fixture, backend) not in _pipelines:
        pytest.skip("the PostgreSQL fixture needs DATABASE_URL to point at PostgreSQL, and psql")
    up, error = _pipelines[(fixture, backend)]
    if error is not None:
        raise error
    return up


def _migrated(up: Upgraded) -> None:
    assert up.migrate.returncode == 0, (up.migrate.stdout[-2000:], up.migrate.stderr[-4000:])


def test_every_fact_survives_the_upgrade(upgraded):
    _migrated(upgraded)
    wrong = [{"fact": name, "expected": want, "got": got} for name, want, got in upgraded.facts if want != got]
    assert wrong == [], json.dumps(wrong, ensure_ascii=False, indent=1)[:6000]
    assert len(upgraded.facts) == len(upgraded.expected["facts"]) > 30


def test_audit_chain_is_intact_and_verifies(upgraded):
    _migrated(upgraded)
    audit = upgraded.expected["audit"]
    assert upgraded.fixture_events == audit["event_count"]
    assert upgraded.head_hash == audit["head_hash"]
    assert upgraded.events_after_migrate == audit["event_count"] + len(upgraded.appended), upgraded.appended
    assert upgraded.verify.returncode == 0, (upgraded.verify.stdout, upgraded.verify.stderr[-2000:])
    verified = re.search(r"OK: (\d+) events verified", upgraded.verify.stdout)
    assert verified and int(verified.group(1)) == upgraded.events_after_migrate, upgraded.verify.stdout


def test_full_records_stay_visible_to_their_departments_only(upgraded):
    _migrated(upgraded)
    result = upgraded.api_result
    assert result is not None, upgraded.api.stderr[-4000:]
    assert result["visibility"] == [], json.dumps(result["visibility"], ensure_ascii=False, indent=1)[:4000]


def test_inquiry_checks_answer_as_before(upgraded):
    _migrated(upgraded)
    result = upgraded.api_result
    assert result is not None, upgraded.api.stderr[-4000:]
    assert result["asked"]["inquiry_checks"] > 20
    assert result["inquiry_checks"] == [], json.dumps(result["inquiry_checks"], ensure_ascii=False,
                                                      indent=1)[:4000]
