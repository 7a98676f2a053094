"""Benchmark (not a test) of seven years of audit events (issue 14, ADR 0068).

On a chain of N events (default 20,000,000, built once with COPY and kept: bench/audit_volume.py,
database dvprotect_audit_bench):
1. a plain sequential read of the same rows (the floor under any verification);
2. the full verification, id ranges in parallel processes (AUDIT_VERIFY_WORKERS, default the
   cores) — target ≤ 5 min — with its ratio to the plain read (SEQUENTIAL=1 also times one
   process);
3. one day's events (DAY, default 100,000) appended, then the daily incremental verification
   from the last verified point — target ≤ 10 s;
4. the audit append rate (`audit_record`, one writer on each database, APPENDS reads of random
   persons after WARM_UP others, in blocks of BLOCK alternated between the two) at N events vs
   on the empty table of a freshly migrated database, same run — target within 10 %.
    make bench-audit            (N=… DAY=… APPENDS=… BLOCK=… SEQUENTIAL=1 override; APPENDS_ONLY=1
                                 measures the append rate alone)
Each figure is measured in a fresh process. The database grows by DAY + a few events a run."""
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import audit_volume as volume  # noqa: E402 - after the path

N = int(os.environ.get("N", 20_000_000))
DAY = int(os.environ.get("DAY", 100_000))
APPENDS = int(os.environ.get("APPENDS", 10_000))
WARM_UP = int(os.environ.get("WARM_UP", 1000))
BLOCK = int(os.environ.get("BLOCK", 500))
FULL_TARGET_S, DAILY_TARGET_S = 300.0, 10.0


def _plain_read(queue) -> None:
    import psycopg

    t0 = time.perf_counter()
    rows = 0
    with psycopg.connect(volume.DATABASE_URL) as conn, conn.cursor(name="plain_read") as cur:
        cur.itersize = 10_000
        cur.execute("SELECT * FROM audit_auditevent ORDER BY id")
        for _ in cur:
            rows += 1
    queue.put((time.perf_counter() - t0, rows))


def _verify(queue, mode: str, workers: int | None) -> None:
    import resource

    import django

    django.setup()
    from audit.services import verification_run

    run = verification_run(mode=mode, workers=workers)
    queue.put((run.duration_seconds, run.ok, run.reason, run.checked, run.first_event_id, run.last_event_id,
               run.workers, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _append_day(queue) -> None:
    import psycopg

    with psycopg.connect(volume.DATABASE_URL) as conn:
        last = conn.execute("SELECT occurred_at FROM audit_auditevent ORDER BY id DESC LIMIT 1").fetchone()
        start = last[0] if last else volume.FIRST_DAY
        step = timedelta(days=1) / DAY
        head = volume._max_id(conn)
        head_id, seconds = volume.append_copy(conn, DAY, when=lambda i: start + step * (i - head), quiet=True)
    queue.put((head_id, seconds))


def _append_blocks(pipe, url: str) -> None:
    """A writer on one database that appends a block of BLOCK events each time it is told to
    and answers with the seconds it took: the parent alternates two of these, so a change in
    the machine's load (it is shared) falls on both sides alike."""
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.db import connection

    from audit.actions import AuditAction
    from audit.services import audit_record

    # Reads of persons drawn at random from the volume's 100,000, as at a counter: each lands at a
    # random leaf of the (target_id, id) index, the one index that grows in the middle. The same
    # draws at volume and on the empty table; a warm-up of other draws first (connection, plans,
    # the index's upper levels), so what is timed is the steady state of a running server.
    rng = random.Random(14)
    connection.ensure_connection()
    for i in range(WARM_UP):
        audit_record(actor=None, action=AuditAction.TARGET_READ, target_id=rng.randrange(1, volume.TARGETS + 1),
                     detail={"warm": i})
    pipe.send("ready")
    while pipe.recv() == "go":
        t0 = time.perf_counter()
        for i in range(BLOCK):
            audit_record(actor=None, action=AuditAction.TARGET_READ, target_id=rng.randrange(1, volume.TARGETS + 1),
                         detail={"i": i})
        pipe.send(time.perf_counter() - t0)


def interleaved_appends(urls: list[str]) -> list[float]:
    """Append rates (events/s, median of the blocks) on each database, the blocks alternated."""
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for url in urls:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_append_blocks, args=(child, url))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    for pipe in pipes:
        pipe.recv()
    seconds: list[list[float]] = [[] for _ in urls]
    for _ in range(APPENDS // BLOCK):
        for pipe, times in zip(pipes, seconds, strict=True):
            pipe.send("go")
            times.append(pipe.recv())
    for pipe, proc in zip(pipes, procs, strict=True):
        pipe.send("stop")
        proc.join()
    return [BLOCK / statistics.median(times) for times in seconds]


def in_child(fn, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=fn, args=(queue, *args))
    proc.start()
    result = queue.get()
    proc.join()
    if proc.exitcode:
        raise SystemExit(f"{fn.__name__} failed with exit code {proc.exitcode}")
    return result


def appends(head_id: int) -> None:
    volume.fresh_empty()
    at_volume, empty = interleaved_appends([volume.DATABASE_URL, volume.EMPTY_URL])
    print(f"  audit append rate (one writer each, {APPENDS:,} events in blocks of {BLOCK:,} alternated between "
          f"the two, each its own transaction, after {WARM_UP:,}; median block): {at_volume:,.0f}/s at "
          f"{head_id:,} events, {empty:,.0f}/s on an empty table; ratio {at_volume / empty:.2f} "
          f"(target ≥ 0.90: {'met' if at_volume >= 0.9 * empty else 'MISSED'})")


def main() -> None:
    from django.db import connections

    have = volume.ensure_volume(N)
    connections.close_all()
    cores = os.cpu_count()
    print(f"Chain of {have:,} events in {volume._name(volume.DATABASE_URL)} ({cores} cores, shared)")
    if os.environ.get("APPENDS_ONLY"):
        appends(have)
        return
    read_s, rows = in_child(_plain_read)
    print(f"  plain sequential read of the same {rows:,} rows: {read_s:.1f} s ({rows / read_s:,.0f} rows/s)")
    if os.environ.get("SEQUENTIAL"):
        seconds, ok, reason, checked, *_ = in_child(_verify, "full", 1)
        print(f"  full verification, 1 process: {seconds:.1f} s ({checked / seconds:,.0f} events/s) "
              f"{'OK' if ok else 'FAILED: ' + reason}; ratio to the plain read {seconds / read_s:.2f}x")
    seconds, ok, reason, checked, first, last, workers, rss = in_child(_verify, "full", None)
    print(f"  full verification, {workers} processes: {seconds:.1f} s ({checked / seconds:,.0f} events/s), "
          f"ids {first:,}..{last:,}, {'OK' if ok else 'FAILED: ' + reason}, peak RSS {rss / 1024:.0f} MB; "
          f"ratio to the plain read {seconds / read_s:.2f}x; target ≤ {FULL_TARGET_S:.0f} s: "
          f"{'met' if ok and seconds <= FULL_TARGET_S else 'MISSED'}")
    head_id, load_s = in_child(_append_day)
    print(f"  one day's {DAY:,} events appended (COPY, {load_s:.1f} s); chain now {head_id:,} events")
    seconds, ok, reason, checked, first, last, _, rss = in_child(_verify, "incremental", None)
    print(f"  daily incremental verification: {checked:,} events (ids {first:,}..{last:,}) in {seconds:.2f} s, "
          f"{'OK' if ok else 'FAILED: ' + reason}, peak RSS {rss / 1024:.0f} MB; target ≤ {DAILY_TARGET_S:.0f} s: "
          f"{'met' if ok and seconds <= DAILY_TARGET_S else 'MISSED'}")
    appends(head_id)


if __name__ == "__main__":
    main()
