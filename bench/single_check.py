"""Single inquiry-time check: p50 / p99 at a fixed rate (open loop, default 200 req/s for
30 s) against gunicorn + PostgreSQL on loopback, vs the raw in-process rule call.

Latency is measured from each request's *scheduled* send time, so a stalled server
cannot hide queueing (no coordinated omission). The load generator is plain asyncio:
nothing to install.

    make bench-single-check        (RATE=…, DURATION=…, WORKERS=…, THREADS=… override)
"""
import asyncio
import json
import os
import random
import resource
import statistics
import time
from pathlib import Path

from checks_common import gunicorn, seed, setup_django, target_number, worker_pids

RATE = int(os.environ.get("RATE", 200))
DURATION = int(os.environ.get("DURATION", 30))
TARGETS = int(os.environ.get("TARGETS", 100_000))
WORKERS = int(os.environ.get("WORKERS", 3))
THREADS = int(os.environ.get("THREADS", 1))
WARMUP = int(os.environ.get("WARMUP", 3))
WORKER_CLASS = os.environ.get("WORKER_CLASS", "gthread")  # keeps connections alive, unlike "sync"
P99_TARGET_MS = 20.0
TIMELINE: list = []  # (scheduled time, latency ms): where in the run the slow requests fall


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class Pool:
    """Idle keep-alive connections; a request takes one or opens a new one, so the rate stays
    fixed whatever the server does (open loop)."""

    def __init__(self, port: int):
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def take(self):
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection("127.0.0.1", self.port)

    def give(self, conn):
        self.idle.append(conn)


async def one(pool: Pool, body: bytes, token: str, scheduled: float, latencies, errors):
    request = (f"POST /api/v1/inquiry-checks/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    for attempt in (1, 2):  # a keep-alive connection the server just closed is retried once, on a new one
        conn = await pool.take() if attempt == 1 else await asyncio.open_connection("127.0.0.1", pool.port)
        reader, writer = conn
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            data = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, StopIteration) as exc:
            writer.close()
            if attempt == 2:
                errors.append(repr(exc))
            continue
        latencies.append((time.perf_counter() - scheduled) * 1000)
        TIMELINE.append((scheduled, latencies[-1]))
        if not head.startswith(b"HTTP/1.1 200") or b"nondisclosure_code_required" not in data:
            errors.append(head[:200] + data[:200])
        if b"connection: close" in head.lower():
            writer.close()
        else:
            pool.give(conn)
        return


async def load(port, token, bodies, duration=None, pool=None):
    latencies, errors, tasks = [], [], []
    pool = pool or Pool(port)
    total = RATE * (duration or DURATION)
    start = time.perf_counter() + 0.2
    for i in range(total):
        scheduled = start + i / RATE
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(pool, bodies[i % len(bodies)], token, scheduled, latencies, errors)))
    await asyncio.gather(*tasks)
    achieved = total / (time.perf_counter() - start)
    return latencies, errors, achieved


def main() -> None:
    setup_django()
    ctx = seed(TARGETS)
    from checks.protection import nondisclosure_code_required

    rng = random.Random(2)
    numbers = [target_number(rng.randrange(TARGETS), rng) if rng.random() < 0.5
               else f"{300000000000000 + rng.randrange(10**12):015d}" for _ in range(2000)]
    bodies = [json.dumps({"atena_no": n, "direction": "inquiry"}).encode() for n in numbers]

    raw = []
    for n in numbers:
        t0 = time.perf_counter()
        nondisclosure_code_required(n, "inquiry")
        raw.append((time.perf_counter() - t0) * 1000)

    with gunicorn(workers=WORKERS, threads=THREADS, worker_class=WORKER_CLASS) as (port, proc):
        measured = asyncio.run(warm_then_measure(port, ctx["token"], bodies, worker_pids(proc.pid)))
    latencies, errors, achieved, wall, server_cpu, own_before, own_after = measured
    generator_cpu = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)

    p50, p99 = pct(latencies, 50), pct(latencies, 99)
    raw_p50, raw_p99 = pct(raw, 50), pct(raw, 99)
    print(f"raw in-process rule (one SQL statement): p50 {raw_p50:.2f} ms, p99 {raw_p99:.2f} ms over {len(raw)} calls")
    print(f"API single check at {RATE} req/s for {DURATION} s after {WARMUP} s warm-up "
          f"(gunicorn {WORKER_CLASS}, {WORKERS} workers x {THREADS} threads): "
          f"{len(latencies)} responses, {len(errors)} errors, achieved {achieved:.0f} req/s")
    print(f"  latency p50 {p50:.2f} ms, p90 {pct(latencies, 90):.2f} ms, p99 {p99:.2f} ms, "
          f"max {max(latencies):.2f} ms, mean {statistics.mean(latencies):.2f} ms")
    print(f"  ratio to raw: p50 {p50 / raw_p50:.1f}x, p99 {p99 / raw_p99:.1f}x; "
          f"target p99 <= {P99_TARGET_MS:.0f} ms with 0 errors: "
          f"{'OK' if p99 <= P99_TARGET_MS and not errors else 'MISSED'}")
    print(f"  CPU during the run: gunicorn workers {server_cpu / wall * 100:.0f} % of one core "
          f"({server_cpu / max(1, len(latencies)) * 1000:.2f} ms per request), load generator "
          f"{generator_cpu / wall * 100:.0f} %, machine load average {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores; other processes on the machine count too)")
    if TIMELINE:
        t0 = min(t for t, _ in TIMELINE)
        per_second: dict[int, list] = {}
        for t, ms in TIMELINE:
            per_second.setdefault(int(t - t0), []).append(ms)
        slow = sorted(((max(v), k) for k, v in per_second.items()), reverse=True)[:3]
        calm = [pct(v, 99) for v in per_second.values()]
        print(f"  per-second p99: median {statistics.median(calm):.1f} ms; slowest seconds: "
              + ", ".join(f"s{k} max {m:.0f} ms" for m, k in slow))
    if errors:
        print("  first error:", errors[0])


async def warm_then_measure(port, token, bodies, pids):
    """WARMUP seconds at the same rate, not measured (every worker imports lazily, opens its
    database connection and fills its caches on its first requests), then DURATION seconds
    measured, on the same event loop and connections."""
    pool = Pool(port)
    await load(port, token, bodies, duration=WARMUP, pool=pool)
    TIMELINE.clear()
    server_before = sum(cpu_seconds(pid) for pid in pids)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    latencies, errors, achieved = await load(port, token, bodies, pool=pool)
    wall = time.perf_counter() - wall
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_before
    return latencies, errors, achieved, wall, server_cpu, own_before, own_after


if __name__ == "__main__":
    main()
