"""お知らせ recipient-file filter on a 1,000,000-line file against 100,000 targets, through
the API (gunicorn + PostgreSQL on loopback): wall time end to end and the peak resident
memory (VmHWM) of the gunicorn worker that served it, vs a raw in-process filter of the
same bytes in the same run.

    make bench-recipient-filter    (LINES=…, TARGETS=…, RUNS=… override)
"""
import os
import random
import statistics
import time

from checks_common import gunicorn, multipart, peak_rss_mb, post, seed, setup_django, worker_pids

LINES = int(os.environ.get("LINES", 1_000_000))
TARGETS = int(os.environ.get("TARGETS", 100_000))
RUNS = int(os.environ.get("RUNS", 3))
TARGET_SECONDS, TARGET_MB = 3.0, 300.0


def main() -> None:
    setup_django()
    ctx = seed(TARGETS)
    from checks.protection import notice_excluded_set

    rng = random.Random(3)
    lines = []
    for i in range(LINES):
        atena = (f"{100000000000000 + rng.randrange(TARGETS) * 7:015d}" if rng.random() < 0.1
                 else f"{300000000000000 + i:015d}")
        lines.append(f"{atena},{i % 7},お知らせ区分{i % 3}")
    content = ("宛名番号,種別,備考\r\n" + "\r\n".join(lines) + "\r\n").encode("cp932")
    body, ctype = multipart({}, "file", "atesaki.csv", content)
    print(f"file: {LINES:,} lines, {len(content) / 1e6:.1f} MB (CP932, CRLF, 3 columns, header)")

    # Raw baseline: the excluded set in memory, then a plain split / look-up / join of the bytes.
    loads, filters = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        excluded = {a.encode() for a in notice_excluded_set()}
        loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = [ln for ln in content.split(b"\n") if ln.split(b",", 1)[0] not in excluded]
        raw_bytes = b"\n".join(out)
        filters.append(time.perf_counter() - t0)
    raw_load, raw_filter = statistics.median(loads), statistics.median(filters)
    expected_removed = LINES + 2 - len(out)
    print(f"raw in-process (median of {RUNS}): load excluded set ({len(excluded):,}) {raw_load * 1000:.0f} ms, "
          f"filter {raw_filter * 1000:.0f} ms, total {(raw_load + raw_filter) * 1000:.0f} ms")

    times, peaks = [], []
    for _ in range(RUNS):
        with gunicorn(workers=1, timeout=300) as (port, proc):
            worker = worker_pids(proc.pid)[0]
            idle = peak_rss_mb(worker)
            status, headers, data, seconds = post(port, "/api/v1/recipient-filter/", body, ctype, ctx["token"],
                                                  accept="application/octet-stream")
            peak = peak_rss_mb(worker)
            assert status == 200, (status, data[:300])
            assert int(headers["X-Removed-Count"]) == expected_removed, headers
            assert data == raw_bytes, "API output differs from the raw filter"
            times.append(seconds)
            peaks.append(peak)
    median = statistics.median(times)
    print(f"API recipient filter: best {min(times):.2f} s, median {median:.2f} s over {RUNS} runs; removed "
          f"{expected_removed:,} lines; ratio to raw filter {median / raw_filter:.1f}x, "
          f"to raw load+filter {median / (raw_load + raw_filter):.1f}x")
    print(f"  gunicorn worker peak RSS {max(peaks):.0f} MB (idle worker {idle:.0f} MB); "
          f"target <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB: "
          f"{'OK' if median <= TARGET_SECONDS and max(peaks) <= TARGET_MB else 'MISSED'}")


if __name__ == "__main__":
    main()
