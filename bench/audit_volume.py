"""Seven years of a large city's audit events, built once with COPY and kept (issue 14).

`ensure_volume(n)` brings the benchmark database (BENCH_AUDIT_DATABASE_URL, default
dvprotect_audit_bench) to at least n valid chained events: it continues from the head that is
there, so a database built earlier is reused and only grown. While it loads, the table's
secondary indexes are dropped and then rebuilt from the definitions a freshly migrated database
has (dvprotect_audit_bench_empty, also the "empty table" of the append-rate comparison), which
is much faster than maintaining them row by row. Loads are committed every CHUNK rows, so an
interrupted build resumes where it stopped.

The mix: 2,000 staff in 40 departments (5 % of events by the system), 100,000 targets of which
1 % are read much more often, person reads, number look-ups, listings naming ~20 people
(detail["target_ids"]), logins and failed logins, the rest of the vocabulary, 2 % refusals;
events from 1 December 2019 to 30 November 2026, 96 % of each day's between 08:00 and 19:00
Japan time. Not a test: a fixture for bench/audit_log.py and bench/audit_scale.py."""
import hashlib
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = os.environ.get("BENCH_AUDIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dvprotect_audit_bench")
EMPTY_URL = DATABASE_URL + "_empty"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("AUDIT_ANCHOR_SINKS", "audit.sinks.FileSink")
os.environ.setdefault("AUDIT_ANCHOR_SINK_FILE", str(ROOT / "var" / "bench-audit-anchors.jsonl"))

TABLE = "audit_auditevent"
CHUNK = 250_000
STAFF, DEPARTMENTS, TARGETS = 2000, 40, 100_000
FIRST_DAY = datetime(2019, 11, 30, 15, 0, tzinfo=UTC)  # 1 December 2019 00:00 in Japan
DAYS = 2557  # to 30 November 2026
COLUMNS = ("id", "occurred_at", "actor_id", "actor_username", "department_code", "role", "action", "target_id",
           "outcome", "request_id", "ip", "channel", "detail", "prev_hash", "hash")


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def create_databases() -> None:
    """Both databases exist and are migrated (nothing is dropped: the volume is kept)."""
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for url in (DATABASE_URL, EMPTY_URL):
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_name(url)]).fetchone():
                conn.execute(f'CREATE DATABASE "{_name(url)}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    connections.close_all()
    # The empty database is migrated in a child process: one process, one DATABASE_URL.
    import subprocess

    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": EMPTY_URL})


def fresh_empty() -> None:
    """The empty table of the append-rate comparison, empty again (the log refuses TRUNCATE)."""
    import subprocess

    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_name(EMPTY_URL)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{_name(EMPTY_URL)}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": EMPTY_URL})


def _secondary(conn) -> tuple[dict[str, str], dict[str, str]]:
    """(index name → CREATE INDEX, unique constraint name → its definition), primary key aside."""
    indexes = dict(conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [TABLE]).fetchall())
    constraints = dict(conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'u'", [TABLE]).fetchall())
    return indexes, constraints


class Mix:
    """Deterministic event contents for event id i."""

    def __init__(self, seed: int = 14):
        from audit.actions import AuditAction, listing_actions, number_lookup_actions, reading_actions

        self.rng = random.Random(seed)
        self.reads = [a for a in reading_actions() if a not in listing_actions() and a not in number_lookup_actions()]
        self.lookups = list(number_lookup_actions())
        self.listings = list(listing_actions())
        special = {*self.reads, *self.lookups, *self.listings, "auth.login", "auth.login_failed"}
        self.others = [a.value for a in AuditAction if a.value not in special]
        self.roles = ["counter", "counter", "counter", "approver", "sysadmin", "auditor"]
        fixed = random.Random(14)  # the same much-read targets in every part of the volume
        self.hot = [fixed.randrange(1, TARGETS + 1) for _ in range(TARGETS // 100)]

    def target(self) -> int:
        r = self.rng
        return r.choice(self.hot) if r.random() < 0.3 else r.randrange(1, TARGETS + 1)

    def event(self, i: int) -> dict:
        r = self.rng
        staff = r.randrange(1, STAFF + 1)
        system = r.random() < 0.05
        values: dict[str, Any] = {
            "actor_id": None if system else staff, "actor_username": "" if system else f"staff{staff:04d}",
            "department_code": "" if system else f"d{staff % DEPARTMENTS:02d}",
            "role": "" if system else self.roles[staff % len(self.roles)],
            "target_id": None, "outcome": "denied" if r.random() < 0.02 else "allowed",
            "request_id": f"{i:032x}", "ip": "" if system else f"10.0.{staff % 250}.{staff % 199 + 1}",
            "channel": "worker" if system else "web", "detail": {},
        }
        p = r.random()
        if p < 0.35:
            values["action"], values["target_id"] = r.choice(self.reads), self.target()
        elif p < 0.60:
            values["action"] = r.choice(self.lookups)
            values["detail"] = {"atena_no": f"{r.randrange(10**14, 10**15):015d}", "required": r.random() < 0.01}
        elif p < 0.65:
            shown = sorted({self.target() for _ in range(20)})
            values["action"], values["detail"] = r.choice(self.listings), {"count": len(shown), "target_ids": shown}
        elif p < 0.75:
            values["action"] = "auth.login"
        elif p < 0.76:
            values["action"], values["outcome"] = "auth.login_failed", "denied"
        else:
            values["action"], values["target_id"] = r.choice(self.others), self.target()
        return values


def occurred_at(i: int, n: int) -> datetime:
    """Monotonic in i: day i * DAYS / n, and within the day 2 % before 08:00, 96 % to 19:00."""
    per_day = n / DAYS
    day, within = divmod(i - 1, per_day)
    f = within / per_day
    hours = f / 0.02 * 8 if f < 0.02 else 8 + (f - 0.02) / 0.96 * 11 if f < 0.98 else 19 + (f - 0.98) / 0.02 * 5
    return FIRST_DAY + timedelta(days=int(day), hours=hours)


def chained_lines(first: int, last: int, prev_hash: str, when, mix: Mix):
    """COPY text lines for events first..last after prev_hash; yields (lines, last hash) per CHUNK."""
    from audit import chain

    sha256, dumps = hashlib.sha256, json.dumps
    lines = []
    for i in range(first, last + 1):
        values = mix.event(i)
        values["id"], values["occurred_at"] = i, when(i)
        stamp = values["occurred_at"].isoformat(timespec="microseconds")
        prefix, suffix = chain.canonical_parts({**values, "occurred_at": stamp})
        h = sha256(f"{prev_hash}|{prefix}{i}{suffix}".encode()).hexdigest()
        lines.append("\t".join((
            str(i), stamp, "\\N" if values["actor_id"] is None else str(values["actor_id"]), values["actor_username"],
            values["department_code"], values["role"], values["action"],
            "\\N" if values["target_id"] is None else str(values["target_id"]), values["outcome"],
            values["request_id"], values["ip"], values["channel"],
            dumps(values["detail"], ensure_ascii=False).replace("\\", "\\\\"), prev_hash, h)) + "\n")
        prev_hash = h
        if len(lines) == CHUNK or i == last:
            yield "".join(lines), prev_hash
            lines = []


def append_copy(conn, count: int, *, when=None, mix: Mix | None = None, quiet: bool = False) -> tuple[int, float]:
    """Chain `count` events after the head and COPY them in; returns (new head id, seconds)."""
    head = conn.execute(f"SELECT id, hash FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()  # noqa: S608
    head_id, prev_hash = head if head else (0, "0" * 64)
    last = head_id + count
    mix = mix or Mix(seed=head_id)
    if when is None:
        def when(i):  # noqa: E306 - the default: the seven-year calendar of the whole volume
            return occurred_at(i, max(last, 1))
    t0 = time.perf_counter()
    done = head_id
    for text, head_hash in chained_lines(head_id + 1, last, prev_hash, when, mix):
        with conn.cursor().copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(text)
        done += text.count("\n")
        conn.execute("UPDATE audit_chainhead SET last_id = %s, prev_hash = last_hash, last_hash = %s WHERE id = 1",
                     [done, head_hash])
        conn.commit()
        if not quiet:
            rate = (done - head_id) / (time.perf_counter() - t0)
            print(f"    loaded {done:,} events ({rate:,.0f}/s)", flush=True)
    return last, time.perf_counter() - t0


def _max_id(conn) -> int:
    row = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}").fetchone()  # noqa: S608
    return int(row[0]) if row else 0


def ensure_volume(n: int) -> int:
    """At least n events in the benchmark database; returns how many there are."""
    import psycopg

    create_databases()
    with psycopg.connect(DATABASE_URL) as conn:
        conn.execute("INSERT INTO audit_chainhead (id, last_id, last_hash, prev_hash) "
                     "SELECT 1, 0, %s, %s WHERE NOT EXISTS (SELECT 1 FROM audit_chainhead)", ["0" * 64, "0" * 64])
        conn.commit()
        have = _max_id(conn)
        with psycopg.connect(EMPTY_URL) as empty:
            want_indexes, want_constraints = _secondary(empty)
        if have < n:
            print(f"  building the volume: {have:,} → {n:,} events (COPY, indexes rebuilt after)", flush=True)
            indexes, constraints = _secondary(conn)
            for name in constraints:
                conn.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {name}")
            for name in indexes:
                conn.execute(f"DROP INDEX {name}")
            conn.commit()
            t0 = time.perf_counter()
            append_copy(conn, n - have)
            print(f"  loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        indexes, constraints = _secondary(conn)
        missing = [(k, v) for k, v in want_indexes.items() if k not in indexes]
        missing_c = [(k, v) for k, v in want_constraints.items() if k not in constraints]
        if missing or missing_c:
            conn.execute("SET maintenance_work_mem = '512MB'")
            t0 = time.perf_counter()
            for name, definition in missing_c:
                conn.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
            for _, definition in missing:
                conn.execute(definition)
            conn.commit()
            print(f"  rebuilt {len(missing) + len(missing_c)} indexes in {time.perf_counter() - t0:.0f} s", flush=True)
            conn.autocommit = True
            conn.execute(f"VACUUM ANALYZE {TABLE}")
        return _max_id(conn)


if __name__ == "__main__":
    total = ensure_volume(int(os.environ.get("N", 20_000_000)))
    print(f"volume: {total:,} chained events in {_name(DATABASE_URL)}")
