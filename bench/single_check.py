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
import statistics
import time

from checks_common import gunicorn, seed, setup_django

RATE = int(os.environ.get("RATE", 200))
DURATION = int(os.environ.get("DURATION", 30))
TARGETS = int(os.environ.get("TARGETS", 100_000))
WORKERS = int(os.environ.get("WORKERS", 3))
THREADS = int(os.environ.get("THREADS", 1))
P99_TARGET_MS = 20.0


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


async def one(port, body: bytes, token: str, scheduled: float, latencies, errors):
    request = (f"POST /api/v1/inquiry-checks/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        data = await reader.read()
        writer.close()
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if not data.startswith(b"HTTP/1.1 200") or b"nondisclosure_code_required" not in data:
            errors.append(data[:200])
    except OSError as exc:
        errors.append(repr(exc))


async def load(port, token, bodies):
    latencies, errors, tasks = [], [], []
    total = RATE * DURATION
    start = time.perf_counter() + 0.2
    for i in range(total):
        scheduled = start + i / RATE
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(port, bodies[i % len(bodies)], token, scheduled, latencies, errors)))
    await asyncio.gather(*tasks)
    achieved = total / (time.perf_counter() - start)
    return latencies, errors, achieved


def main() -> None:
    setup_django()
    ctx = seed(TARGETS)
    from flags.protection import nondisclosure_code_required

    rng = random.Random(2)
    numbers = [f"{100000000000000 + rng.randrange(TARGETS) * 7:015d}" if rng.random() < 0.5
               else f"{300000000000000 + rng.randrange(10**12):015d}" for _ in range(2000)]
    bodies = [json.dumps({"atena_no": n, "direction": "inquiry"}).encode() for n in numbers]

    raw = []
    for n in numbers:
        t0 = time.perf_counter()
        nondisclosure_code_required(n, "inquiry")
        raw.append((time.perf_counter() - t0) * 1000)

    with gunicorn(workers=WORKERS, threads=THREADS) as (port, _):
        asyncio.run(load_warmup(port, ctx["token"], bodies))
        latencies, errors, achieved = asyncio.run(load(port, ctx["token"], bodies))

    p50, p99 = pct(latencies, 50), pct(latencies, 99)
    raw_p50, raw_p99 = pct(raw, 50), pct(raw, 99)
    print(f"raw in-process rule (one SQL statement): p50 {raw_p50:.2f} ms, p99 {raw_p99:.2f} ms over {len(raw)} calls")
    print(f"API single check at {RATE} req/s for {DURATION} s (gunicorn {WORKERS} workers x {THREADS} threads): "
          f"{len(latencies)} responses, {len(errors)} errors, achieved {achieved:.0f} req/s")
    print(f"  latency p50 {p50:.2f} ms, p90 {pct(latencies, 90):.2f} ms, p99 {p99:.2f} ms, "
          f"max {max(latencies):.2f} ms, mean {statistics.mean(latencies):.2f} ms")
    print(f"  ratio to raw: p50 {p50 / raw_p50:.1f}x, p99 {p99 / raw_p99:.1f}x; "
          f"target p99 <= {P99_TARGET_MS:.0f} ms with 0 errors: "
          f"{'OK' if p99 <= P99_TARGET_MS and not errors else 'MISSED'}")
    if errors:
        print("  first error:", errors[0])


async def load_warmup(port, token, bodies):
    for i in range(20):
        await one(port, bodies[i], token, time.perf_counter(), [], [])


if __name__ == "__main__":
    main()
