"""Stamping an inquiry request file (ADR 0044): a 1,000,000-line 中間サーバ照会用 request file
(CP932, CRLF, every field padded, 239 bytes a line) against 100,000 targets, end to end through
the API (gunicorn + PostgreSQL on loopback): wall time and the peak resident memory (VmHWM) of
the gunicorn worker that served it, vs a raw in-process pass over the same bytes in the same
run (slice the number, look it up, patch the code byte). The output is checked byte for byte
against the raw pass, and to differ from the input only in code fields.

    make bench-stamp               (LINES=…, TARGETS=…, RUNS=… override)
"""
import os
import random
import statistics
import time

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dv_bench_stamp?conn_max_age=600")

from checks_common import gunicorn, multipart, peak_rss_mb, post, seed, setup_django, worker_pids  # noqa: E402

LINES = int(os.environ.get("LINES", 1_000_000))
TARGETS = int(os.environ.get("TARGETS", 100_000))
RUNS = int(os.environ.get("RUNS", 3))
TARGET_SECONDS, TARGET_MB = 3.0, 300.0
LINE = 239
CODE_OFFSET = 112  # 2+15+15+17+20+20+16 bytes and 7 separators before the 照会側不開示コード
ATENA_OFFSET = 3


def build_file(rng: random.Random) -> bytes:
    """~10 % of the lines name a target or an abuser, some already stamped; the rest strangers."""
    tail = (b",20261203101500123,\x90\xc5\x96\xb1\x89\xdb              ,user01              ,1310410000000001,"
            )  # 税務課 in CP932, padded to 20 bytes
    after = (b",JM0000000000001 ,JT0000000000001 ,                ,                ,131041          ,"
             b"TM00000000000003,1,1,20260401,20270331\r\n")
    out = bytearray()
    for i in range(LINES):
        roll = rng.random()
        if roll < 0.08:
            atena = b"%015d" % (100000000000000 + rng.randrange(TARGETS) * 7)
        elif roll < 0.1:
            atena = b"%015d" % (900000000000000 + rng.randrange(TARGETS) + 1)  # abusers, as seeded
        else:
            atena = b"%015d" % (300000000000000 + i)
        code = b"1" if rng.random() < 0.02 else b"0"
        out += b"01," + atena + b"," + b" " * 15 + tail + code + after
    assert len(out) == LINES * LINE, len(out) / LINES
    return bytes(out)


def raw_pass(content: bytes, required: frozenset[bytes]) -> tuple[bytes, int]:
    out = bytearray(content)
    stamped = 0
    for s in range(0, len(content), LINE):
        if content[s + ATENA_OFFSET:s + ATENA_OFFSET + 15] in required and content[s + CODE_OFFSET] == 0x30:
            out[s + CODE_OFFSET] = 0x31
            stamped += 1
    return bytes(out), stamped


def main() -> None:
    setup_django()
    t0 = time.perf_counter()
    ctx = seed(TARGETS)
    print(f"seeded/checked {TARGETS:,} targets in {time.perf_counter() - t0:.1f} s")
    import uuid

    from accounts.models import Department, Role, Staff
    from accounts.services import department_create, staff_create
    from checks.file_layouts import configured_layout
    from checks.layout_confirmation import current_confirmation, layout_confirm
    from checks.protection import protected_set

    layout = configured_layout("inquiry_request")
    if current_confirmation(layout) is None:
        if not Department.objects.filter(code="bench-sys").exists():
            department_create(actor=None, code="bench-sys", name="ベンチ情報システム課", does_linkage=False)
        admin = Staff.objects.filter(username="bench-admin").first() or staff_create(
            actor=None, username="bench-admin", department_code="bench-sys", role=Role.SYSADMIN,
            password=uuid.uuid4().hex)
        layout_confirm(actor=admin, layout=layout)

    content = build_file(random.Random(5))
    body, ctype = multipart({}, "file", "shokai.txt", content)
    print(f"file: {LINES:,} lines, {len(content) / 1e6:.1f} MB (CP932, CRLF, 18 fixed-width fields)")

    loads, passes = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        required = frozenset(n.encode() for n in protected_set(["inquiry"]).requires("inquiry"))
        loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        expected, expected_stamped = raw_pass(content, required)
        passes.append(time.perf_counter() - t0)
    raw_load, raw_stamp = statistics.median(loads), statistics.median(passes)
    print(f"raw in-process (median of {RUNS}): load protected set ({len(required):,}) {raw_load * 1000:.0f} ms, "
          f"pass {raw_stamp * 1000:.0f} ms, total {(raw_load + raw_stamp) * 1000:.0f} ms; "
          f"{expected_stamped:,} lines to stamp")

    times, peaks = [], []
    idle = 0.0
    for _ in range(RUNS):
        with gunicorn(workers=1, timeout=300) as (port, proc):
            worker = worker_pids(proc.pid)[0]
            idle = peak_rss_mb(worker)
            status, headers, data, seconds = post(port, "/api/v1/inquiry-files/stamp", body, ctype, ctx["token"],
                                                  accept="application/octet-stream")
            peak = peak_rss_mb(worker)
            assert status == 200, (status, data[:300])
            assert int(headers["X-Stamped-Count"]) == expected_stamped, headers
            assert data == expected, "API output differs from the raw pass"
            times.append(seconds)
            peaks.append(peak)
    # Only code fields differ from the input.
    changed = [i for i in range(CODE_OFFSET, len(content), LINE) if data[i] != content[i]]
    assert len(changed) == expected_stamped
    restored = bytearray(data)
    for i in changed:
        restored[i] = content[i]
    assert restored == content, "the output differs from the input outside the code fields"
    median = statistics.median(times)
    print(f"API stamp: best {min(times):.2f} s, median {median:.2f} s over {RUNS} runs; stamped "
          f"{expected_stamped:,} lines, output identical to the raw pass and to the input except "
          f"{len(changed):,} code bytes; ratio to raw pass {median / raw_stamp:.1f}x, "
          f"to raw load+pass {median / (raw_load + raw_stamp):.1f}x")
    print(f"  gunicorn worker peak RSS {max(peaks):.0f} MB (idle worker {idle:.0f} MB); "
          f"target <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB: "
          f"{'OK' if median <= TARGET_SECONDS and max(peaks) <= TARGET_MB else 'MISSED'}")


if __name__ == "__main__":
    main()
