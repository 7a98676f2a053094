"""Benchmark (not a test) of the tamper-evident audit log.

1. Append throughput: WRITERS processes (default 1, 2, 4 and 8) each append EVENTS events
   through `audit_record` (every event its own transaction, as a victim-data read is), and
   the same processes insert the same rows into a plain table (no chain, no triggers) as
   the raw baseline. After the run the chain is verified: concurrent appenders must leave
   gapless ids and unbroken links.
2. Verification: VERIFY_EVENTS (default 1,000,000) chained events are loaded by COPY, then
   `verify_chain` walks them; target under 30 s. Baselines in the same run: COPY of the same
   rows into the plain table, and a plain streaming read of them without hashing.

Runs in its own database (`dv_bench_audit`, dropped and recreated each run).
    make bench-audit        (WRITERS=1,2,4,8 EVENTS=2000 VERIFY_EVENTS=1000000 override)
"""
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = os.environ.get("BENCH_AUDIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dv_bench_audit")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

WRITERS = [int(w) for w in os.environ.get("WRITERS", "1,2,4,8").split(",")]
EVENTS = int(os.environ.get("EVENTS", 2000))
VERIFY_EVENTS = int(os.environ.get("VERIFY_EVENTS", 1_000_000))
VERIFY_TARGET_S = 30.0
PLAIN = "bench_plain_event"
COLUMNS = ("occurred_at", "actor_id", "actor_username", "department_code", "role", "action", "target_id",
           "outcome", "request_id", "ip", "channel", "detail")


def fresh_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:  # the raw baseline: same columns, no chain, no triggers
        cur.execute(f"CREATE TABLE {PLAIN} (id bigserial PRIMARY KEY, occurred_at timestamptz NOT NULL, "
                    "actor_id bigint, actor_username varchar(150), department_code varchar(20), role varchar(20), "
                    "action varchar(60), target_id bigint, outcome varchar(10), request_id varchar(64), "
                    "ip varchar(45), channel varchar(10), detail jsonb, prev_hash varchar(64), hash varchar(64))")
        # The same secondary indexes as the audit table, so the baseline pays for the same writes.
        for column in ("occurred_at", "actor_id", "department_code", "action", "target_id"):
            cur.execute(f"CREATE INDEX ON {PLAIN} ({column})")
        cur.execute(f"CREATE UNIQUE INDEX ON {PLAIN} (hash)")


def _actor(i: int):
    from types import SimpleNamespace

    dept = SimpleNamespace(code=f"d{i % 7:02d}")
    return SimpleNamespace(pk=1000 + i, department=dept, role="counter", get_username=lambda: f"user{i}")


def _row(i: int) -> dict:
    return {"occurred_at": datetime.now(UTC), "actor_id": 1000 + i, "actor_username": f"user{i}",
            "department_code": f"d{i % 7:02d}", "role": "counter", "action": "inquiry.check",
            "target_id": i, "outcome": "allowed", "request_id": f"{i:032x}", "ip": "127.0.0.1",
            "channel": "bench", "detail": {"atena_no": f"{100000000000000 + i:015d}", "direction": "inquiry",
                                           "required": i % 2 == 0}}


def _writer(kind: str, worker: int, count: int, start, done) -> None:
    import django

    django.setup()
    from django.db import connection

    from audit.services import audit_record

    connection.ensure_connection()
    start.wait()
    t0 = time.perf_counter()
    if kind == "chain":
        for n in range(count):
            r = _row(worker * count + n)
            audit_record(actor=_actor(worker), action=r["action"], target_id=r["target_id"], detail=r["detail"])
    else:
        from psycopg.types.json import Jsonb

        sql = (f"INSERT INTO {PLAIN} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})")
        with connection.cursor() as cur:
            for n in range(count):
                r = _row(worker * count + n)
                params: list[Any] = [Jsonb(r[c]) if c == "detail" else r[c] for c in COLUMNS]
                cur.execute(sql, params)
    done.put(time.perf_counter() - t0)


def appends(kind: str, writers: int) -> float:
    from django.db import connections

    connections.close_all()  # children open their own connections
    ctx = mp.get_context("fork")
    start, done = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(kind, w, EVENTS, start, done)) for w in range(writers)]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.perf_counter()
    for _ in procs:
        done.get()
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"{kind} writer failed with exit code {p.exitcode}")
    return writers * EVENTS / elapsed


def load_chained(count: int) -> tuple[float, float, float]:
    """Chains `count` events after the current head and COPYs them into the audit table, then
    the same rows into the plain table. Returns (build s, audit COPY s, plain COPY s)."""
    import json

    from django.db import connection

    from audit import chain
    from audit.models import AuditEvent

    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first() or (0, chain.GENESIS)
    prev_id, prev_hash = head
    t0 = time.perf_counter()
    base = datetime(2026, 11, 1, tzinfo=UTC)
    buf = tempfile.TemporaryFile("w+", encoding="utf-8")  # 1M rows stay out of this process's memory
    for n in range(1, count + 1):
        values = _row(prev_id + n)
        values["occurred_at"] = base + timedelta(microseconds=37 * n)
        values["id"] = prev_id + n
        h = chain.link(prev_hash, values)
        detail = json.dumps(values["detail"], ensure_ascii=False).replace("\\", "\\\\")
        buf.write("\t".join([str(values["id"]), values["occurred_at"].isoformat(), str(values["actor_id"]),
                             values["actor_username"], values["department_code"], values["role"], values["action"],
                             str(values["target_id"]), values["outcome"], values["request_id"], values["ip"],
                             values["channel"], detail, prev_hash, h]) + "\n")
        prev_hash = h
    built = time.perf_counter() - t0
    cols = "id, " + ", ".join(COLUMNS) + ", prev_hash, hash"
    timings = []
    for table in (AuditEvent._meta.db_table, PLAIN):
        if table == PLAIN:
            with connection.cursor() as cur:
                cur.execute(f"TRUNCATE {PLAIN}")
        buf.seek(0)
        t0 = time.perf_counter()
        with connection.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            while chunk := buf.read(1 << 20):
                copy.write(chunk)
        timings.append(time.perf_counter() - t0)
    buf.close()
    with connection.cursor() as cur:  # keep the head row in step, as appends would have
        cur.execute("UPDATE audit_chainhead SET last_id = %s, last_hash = %s WHERE id = 1",
                    [prev_id + count, prev_hash])
        cur.execute("ANALYZE")
    return built, timings[0], timings[1]


def plain_read() -> float:
    """Stream every audit row to Python without hashing: the floor under verification."""
    from django.db import connection, transaction

    from audit.models import AuditEvent

    t0 = time.perf_counter()
    rows = 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DECLARE plain_read NO SCROLL CURSOR FOR SELECT * FROM {AuditEvent._meta.db_table} ORDER BY id")
        while True:
            cur.execute("FETCH 10000 FROM plain_read")
            batch = cur.fetchall()
            if not batch:
                break
            rows += len(batch)
    return time.perf_counter() - t0


def _verify(queue) -> None:
    import django

    django.setup()
    from audit.verify import verify_chain

    t0 = time.perf_counter()
    result = verify_chain()
    queue.put((time.perf_counter() - t0, result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def in_child(fn):
    """Runs fn in a fresh process (spawned: no memory inherited) and returns what it reports."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=fn, args=(queue,))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    fresh_database()
    from audit.verify import verify_chain

    print(f"Audit log append throughput ({EVENTS} events per writer, each its own transaction; "
          f"{os.cpu_count()} cores shared with PostgreSQL):")
    for writers in WRITERS:
        chained = appends("chain", writers)
        plain = appends("plain", writers)
        print(f"  {writers} writer(s): hash-chained {chained:,.0f} events/s, plain INSERT {plain:,.0f} rows/s, "
              f"ratio {plain / chained:.2f}x")
    result = verify_chain()
    print(f"  chain after concurrent appends: {'intact' if result.ok else 'BROKEN: ' + result.reason}, "
          f"{result.checked:,} events, ids gapless")

    built, copy_chain, copy_plain = load_chained(VERIFY_EVENTS)
    print(f"Loaded {VERIFY_EVENTS:,} chained events: hashing {built:.1f} s, COPY into the audit table "
          f"{copy_chain:.1f} s, COPY of the same rows into the plain table {copy_plain:.1f} s")
    read = plain_read()
    verify_s, result, peak = in_child(_verify)
    print(f"Verification of {result.checked:,} events: {verify_s:.1f} s ({result.checked / verify_s:,.0f} events/s), "
          f"{'OK' if result.ok else 'FAILED: ' + result.reason}; peak RSS of the verifying process "
          f"{peak / 1024:.0f} MB; target < {VERIFY_TARGET_S:.0f} s: "
          f"{'met' if verify_s < VERIFY_TARGET_S and result.ok else 'MISSED'}")
    print(f"  ratio to a plain streaming read of the same rows ({read:.1f} s): {verify_s / read:.1f}x; "
          f"to a plain COPY insert of them ({copy_plain:.1f} s): {verify_s / copy_plain:.1f}x")


if __name__ == "__main__":
    main()
