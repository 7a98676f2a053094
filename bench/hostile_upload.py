"""Hostile uploads against the single check (issue 10 item 3): the single-check p99 while three
maximum-size hostile uploads run without pause, each from its own caller (so the one-job-
per-caller slot does not stop them: the worst case), against the compose settings (gunicorn,
3 sync workers, 60 s timeout) on PostgreSQL, vs a baseline p99 measured in the same run
without the uploads.

First, each hostile upload alone: how long the refusal takes, and what it answered — the red
team's 63 MiB files (blank lines, `x` lines) and the largest bodies the caps let through.

    make bench-hostile-upload      (RATE=…, DURATION=…, TARGETS=…, PAUSES=… override)
"""
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import time
import uuid

import single_check
from checks_common import gunicorn, multipart, seed, setup_django

RATE = int(os.environ.get("RATE", 100))
DURATION = int(os.environ.get("DURATION", 20))
TARGETS = int(os.environ.get("TARGETS", 100_000))
# Seconds each hostile uploader waits between two uploads: 0 is a flood (one upload always in
# flight per uploader, about 15-20 a second each here), 1 is three uploads running every second.
PAUSES = [float(p) for p in os.environ.get("PAUSES", "0,1").split(",")]
P99_TARGET_MS = 100.0
MiB = 1 << 20
BULK, FILTER = "/api/v1/inquiry-checks/bulk/", "/api/v1/recipient-filter/"


def hostile_bodies() -> dict[str, tuple[str, bytes, str]]:
    """label → (path, body, content type). "max" bodies sit just under the byte cap, so only
    the line caps can stop them."""
    from core.uploads import max_recipient_file_bytes, max_upload_bytes

    def file_of(path, line: bytes, size: int):
        fields = {"direction": "inquiry"} if path == BULK else {}
        envelope = len(multipart(fields, "file", "x.csv", b"")[0])
        body, ctype = multipart(fields, "file", "x.csv", line * ((size - envelope - 64) // len(line)))
        return path, body, ctype

    return {
        "bulk 63 MiB blank lines": file_of(BULK, b"\n", 63 * MiB),
        "bulk 63 MiB x lines": file_of(BULK, b"x\n", 63 * MiB),
        "filter 63 MiB x lines": file_of(FILTER, b"x\n", 63 * MiB),
        "bulk max blank lines": file_of(BULK, b"\n", max_upload_bytes()),
        "bulk max x lines": file_of(BULK, b"x\n", max_upload_bytes()),
        "filter max blank lines": file_of(FILTER, b"\n", max_recipient_file_bytes()),
        "filter max x lines": file_of(FILTER, b"x\n", max_recipient_file_bytes()),
    }


def send_raw(port: int, path: str, body: bytes, ctype: str, token: str) -> tuple[str, float]:
    """POST the whole body as a client would; the server may answer and close before it has
    read it all (that is the point). Returns (status or what happened, seconds)."""
    started = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    outcome = ""
    try:
        sock.sendall(head + body)
    except OSError:
        outcome = "closed while sending"  # the server stopped reading and closed: refused
    try:
        first = sock.recv(64)
        status = first.split(b" ", 2)[1].decode() if first.startswith(b"HTTP/") else ""
        outcome = status or outcome or "no answer"
    except OSError:
        outcome = outcome or "reset"
    finally:
        sock.close()
    return outcome, time.perf_counter() - started


def hostile_loop(port, path, body, ctype, token, pause, stop, results):
    outcomes: dict[str, int] = {}
    times = []
    while not stop.is_set():
        outcome, seconds = send_raw(port, path, body, ctype, token)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        times.append(seconds)
        stop.wait(pause)
    results.put((outcomes, times))


def hostile_tokens(n: int) -> list[str]:
    """n callers of the linkage department, one token each."""
    from accounts.models import Role, Staff
    from accounts.services import api_token_issue, staff_create

    tokens = []
    for i in range(n):
        username = f"bench-hostile-{i}"
        staff = Staff.objects.filter(username=username).first() or staff_create(
            actor=None, username=username, department_code="bench", role=Role.COUNTER, password=uuid.uuid4().hex)
        tokens.append(api_token_issue(actor=None, staff=staff))
    return tokens


def single_check_load(port, token, bodies):
    single_check.RATE = RATE
    pool = single_check.Pool(port)

    async def run():
        await single_check.load(port, token, bodies, duration=2, pool=pool)  # warm-up, not measured
        return await single_check.load(port, token, bodies, duration=DURATION, pool=pool)

    return asyncio.run(run())


def summary(label, latencies, errors, achieved):
    p50, p99 = single_check.pct(latencies, 50), single_check.pct(latencies, 99)
    print(f"{label}: {len(latencies)} responses at {achieved:.0f} req/s, {len(errors)} errors; "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms")
    return p99


def main() -> None:
    setup_django()
    ctx = seed(TARGETS)
    tokens = hostile_tokens(3)
    rng = random.Random(5)
    numbers = [f"{100000000000000 + rng.randrange(TARGETS) * 7:015d}" if rng.random() < 0.5
               else f"{300000000000000 + rng.randrange(10**12):015d}" for _ in range(2000)]
    bodies = [json.dumps({"atena_no": n, "direction": "inquiry"}).encode() for n in numbers]
    hostile = hostile_bodies()

    with gunicorn(workers=3, timeout=60, worker_class="sync") as (port, _):
        print("each hostile upload alone (gunicorn sync, 3 workers, 60 s timeout):")
        for label, (path, body, ctype) in hostile.items():
            runs = [send_raw(port, path, body, ctype, tokens[0]) for _ in range(3)]
            seconds = [s for _, s in runs]
            print(f"  {label:24s} {len(body) / MiB:5.1f} MiB: answered {runs[0][0]!r}, "
                  f"median {statistics.median(seconds) * 1000:.0f} ms, worst {max(seconds) * 1000:.0f} ms")

        base = single_check_load(port, ctx["token"], bodies)
        base_p99 = summary(f"baseline single check, {DURATION} s", *base)

        chosen = ["bulk max blank lines", "bulk max x lines", "filter max x lines"]
        for pause in PAUSES:
            under_attack(port, ctx["token"], bodies, hostile, chosen, tokens, pause, base_p99)


def under_attack(port, token, bodies, hostile, chosen, tokens, pause, base_p99):
    """The single-check load again, while each of three processes sends one hostile upload
    after another (`pause` seconds between two; 0: no pause, a flood)."""
    stop = multiprocessing.Event()
    results: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=hostile_loop, args=(port, *hostile[label], tokens[i], pause, stop, results))
             for i, label in enumerate(chosen)]
    for p in procs:
        p.start()
    time.sleep(1)
    loaded = single_check_load(port, token, bodies)
    stop.set()
    got = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    mode = "back to back, no pause" if not pause else f"{pause:g} s between two uploads of one uploader"
    p99 = summary(f"single check during 3 hostile uploaders ({mode}), {DURATION} s", *loaded)
    for label, (outcomes, times) in zip(chosen, got, strict=True):
        print(f"  uploader '{label}': {sum(outcomes.values())} uploads ({sum(outcomes.values()) / DURATION:.1f}/s), "
              f"answers {outcomes}, median {statistics.median(times) * 1000:.0f} ms each")
    errors = len(loaded[1])
    print(f"  ratio p99 under attack / baseline: {p99 / base_p99:.1f}x; target p99 <= {P99_TARGET_MS:.0f} ms "
          f"with 0 errors: {'OK' if p99 <= P99_TARGET_MS and not errors else 'MISSED'}")


if __name__ == "__main__":
    main()
