"""Benchmark (not a test): one /metrics scrape (ADR 0065) with OPERATIONS outbox rows (default
1,000,000, most reflected, a backlog of pending/sent/failed/dead) and ALERTS alerts, vs a raw
baseline measured in the same run: the same aggregates as plain SQL with psycopg, no Django.
Prints the median and p95 of RUNS scrapes through the view (token check, all gauges,
exposition), the baseline's, their ratio, and the EXPLAIN ANALYZE of the two aggregates over
the operations table.

Runs in its own database (BENCH_METRICS_DATABASE_URL, default dvprotect_ops; dropped and
recreated each run).
    make bench-metrics        (OPERATIONS=1000000 RUNS=20 override)
"""
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = os.environ.get("BENCH_METRICS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dvprotect_ops")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["METRICS_TOKEN"] = "bench-" + "x" * 40
OPERATIONS = int(os.environ.get("OPERATIONS", 1_000_000))
ALERTS = int(os.environ.get("ALERTS", 1_000))
RUNS = int(os.environ.get("RUNS", 20))

RAW = [
    "SELECT status, count(*) FROM intermediary_operation WHERE covered_by_id IS NULL "
    "AND status IN ('pending', 'claimed', 'sent', 'failed', 'dead') GROUP BY status",
    "SELECT reltuples FROM pg_class WHERE oid = 'intermediary_operation'::regclass",
    "SELECT flag_kind, min(created_at) FROM intermediary_operation WHERE covered_by_id IS NULL "
    "AND status IN ('pending', 'claimed', 'sent', 'failed') GROUP BY flag_kind",
    "SELECT kind, count(*) FROM intermediary_alert WHERE resolved_at IS NULL GROUP BY kind",
    "SELECT ok, finished_at FROM audit_verificationrun ORDER BY id DESC LIMIT 1",
    "SELECT last_id FROM audit_chainhead LIMIT 1",
    "SELECT kind, count(*) FROM victims_reminderrecord WHERE alerted_at IS NOT NULL GROUP BY kind",
]


def fresh_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fill() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        # 99.9 % reflected; the rest a backlog spread over the other states, both flag kinds.
        cur.execute("""
            INSERT INTO intermediary_operation (id, unit_type, unit_key, flag_kind, action, unit_seq, status,
                created_at, channel, attempts, last_error_code, last_error_message)
            SELECT gen_random_uuid(), 'atena', lpad(i::text, 15, '0'),
                   CASE WHEN i %% 2 = 0 THEN 'NO_AUTO_RESPONSE' ELSE 'NONDISCLOSURE' END, 'set', 1,
                   CASE WHEN i %% 1000 = 1 THEN 'pending' WHEN i %% 1000 = 2 THEN 'sent'
                        WHEN i %% 1000 = 3 THEN 'failed' WHEN i %% 100000 = 4 THEN 'dead' ELSE 'reflected' END,
                   now() - (i || ' seconds')::interval, 'web_service', 1, '', ''
            FROM generate_series(1, %s) AS i""", [OPERATIONS])
        cur.execute("""
            INSERT INTO intermediary_alert (kind, unit_type, unit_key, flag_kind, detail, created_at, resolved_at)
            SELECT 'dead', 'atena', lpad(i::text, 15, '0'), 'NONDISCLOSURE', '{}', now(),
                   CASE WHEN i %% 10 = 0 THEN NULL ELSE now() END
            FROM generate_series(1, %s) AS i""", [ALERTS])
        cur.execute("ANALYZE intermediary_operation; ANALYZE intermediary_alert")


def _timings(call) -> list[float]:
    call()  # warm: connection, plans, caches
    out = []
    for _ in range(RUNS):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    t = time.perf_counter()
    fresh_database()
    fill()
    print(f"built {OPERATIONS:,} operations and {ALERTS:,} alerts in {time.perf_counter() - t:.1f} s")
    import psycopg
    from django.db import connection
    from django.test import Client

    client = Client()
    auth = {"Authorization": f"Bearer {os.environ['METRICS_TOKEN']}"}
    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200 and b"dvprotect_operations{" in response.content
    body = len(response.content)
    scrape = _timings(lambda: client.get("/metrics", headers=auth))
    raw_conn = psycopg.connect(DATABASE_URL)

    def raw() -> None:
        with raw_conn.cursor() as cur:
            for sql in RAW:
                cur.execute(sql)
                cur.fetchall()

    baseline = _timings(raw)
    print(f"/metrics scrape ({RUNS} runs, {body:,} bytes): median {statistics.median(scrape) * 1000:.1f} ms, "
          f"p95 {sorted(scrape)[int(RUNS * 0.95) - 1] * 1000:.1f} ms")
    print(f"raw SQL of the same aggregates:     median {statistics.median(baseline) * 1000:.1f} ms, "
          f"p95 {sorted(baseline)[int(RUNS * 0.95) - 1] * 1000:.1f} ms")
    print(f"ratio scrape / raw (median): {statistics.median(scrape) / statistics.median(baseline):.2f}")
    exact = _timings(lambda: raw_conn.execute(
        "SELECT count(*) FROM intermediary_operation WHERE status = 'reflected'").fetchall())
    print(f"(not done: an exact count of the reflected ones would add a median "
          f"{statistics.median(exact) * 1000:.1f} ms)")
    with connection.cursor() as cur:
        for sql in (RAW[0], RAW[2]):
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            print("\n" + sql + "\n" + "\n".join("  " + row[0] for row in cur.fetchall()))
    raw_conn.close()


if __name__ == "__main__":
    main()
