"""Bulk inquiry check: 1,000,000 atena numbers against 100,000 targets through the API
(gunicorn + PostgreSQL on loopback), end to end, vs a raw in-process set lookup.

    make bench-bulk-check          (NUMBERS=…, TARGETS=…, RUNS=… override)
"""
import json
import os
import random
import statistics
import time

from checks_common import gunicorn, multipart, post, seed, setup_django, target_number

NUMBERS = int(os.environ.get("NUMBERS", 1_000_000))
TARGETS = int(os.environ.get("TARGETS", 100_000))
RUNS = int(os.environ.get("RUNS", 3))
TARGET_SECONDS = 3.0


def main() -> None:
    setup_django()
    t0 = time.perf_counter()
    ctx = seed(TARGETS)
    print(f"seeded/checked {TARGETS:,} targets in {time.perf_counter() - t0:.1f} s")

    from checks.protection import protected_set

    rng = random.Random(1)
    # ~10 % of the numbers are targets or abusers, the rest strangers.
    numbers = [target_number(rng.randrange(TARGETS), rng) if rng.random() < 0.1
               else f"{300000000000000 + rng.randrange(10**12):015d}" for _ in range(NUMBERS)]

    # Raw baseline, same process, same numbers: the protected set in memory, then lookups.
    loads, lookups = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        required = protected_set(["inquiry"]).requires("inquiry")
        loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        raw_answers = [n in required for n in numbers]
        lookups.append(time.perf_counter() - t0)
    raw_load, raw_lookup = statistics.median(loads), statistics.median(lookups)
    expected_required = sum(raw_answers)

    json_body = json.dumps({"atena_nos": numbers, "direction": "inquiry"}).encode()
    file_body, file_type = multipart({"direction": "inquiry"}, "file", "numbers.csv",
                                     ("\r\n".join(numbers) + "\r\n").encode())
    print(f"numbers: {NUMBERS:,} (JSON body {len(json_body) / 1e6:.1f} MB, CSV upload {len(file_body) / 1e6:.1f} MB); "
          f"protected set {len(required):,}")

    results: dict[str, list[float]] = {"json": [], "file": [], "file-csv-out": []}
    with gunicorn(workers=2) as (port, _):
        for _ in range(RUNS):
            for label, body, ctype, accept in (("json", json_body, "application/json", "application/json"),
                                               ("file", file_body, file_type, "application/json"),
                                               ("file-csv-out", file_body, file_type, "text/csv")):
                status, _, data, seconds = post(port, "/api/v1/inquiry-checks/bulk/", body, ctype, ctx["token"], accept)
                assert status == 200, (status, data[:300])
                if accept == "application/json":
                    got = json.loads(data)
                    assert got["count"] == NUMBERS and got["required_count"] == expected_required, got["required_count"]
                else:
                    assert data.count(b",1\r\n") == expected_required
                results[label].append(seconds)

    print(f"raw in-process (median of {RUNS}): load protected set {raw_load * 1000:.0f} ms, "
          f"lookup of {NUMBERS:,} numbers "
          f"{raw_lookup * 1000:.0f} ms, total {(raw_load + raw_lookup) * 1000:.0f} ms")
    for label, times in results.items():
        best, median = min(times), statistics.median(times)
        print(f"API bulk check ({label:12s}): best {best:.2f} s, median {median:.2f} s over {RUNS} runs; "
              f"ratio to raw lookup {median / raw_lookup:.1f}x, "
              f"to raw load+lookup {median / (raw_load + raw_lookup):.1f}x; "
              f"target <= {TARGET_SECONDS:.0f} s: {'OK' if median <= TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
