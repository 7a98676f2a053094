"""Benchmark (not a test): build and validate one batch of 100,000 operations.

Prints seconds, peak memory (RSS of a fresh child process per phase) and the ratio to a bare
lxml write of the same records measured in the same run. Targets: ≤ 2× and < 200 MB.
Run: make bench-batch"""
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

N = int(os.environ.get("BENCH_RECORDS", "100000"))


def _records():
    from intermediary.batch_xml import Record

    rng = uuid.UUID(int=0x1234)
    for i in range(1, N + 1):
        yield Record(i, str(uuid.UUID(int=rng.int + i)), "atena", f"{100000000000000 + i:015d}",
                     "NO_AUTO_RESPONSE", "set" if i % 3 else "release")


def bare(path, q):
    from lxml import etree

    from intermediary.batch_xml import record_element

    t0 = time.perf_counter()
    with open(path, "wb") as f, etree.xmlfile(f, encoding="utf-8") as xf:
        with xf.element("FlagBatch"):
            for r in _records():
                xf.write(record_element(r))
    q.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def full(path, q):
    from intermediary.batch_xml import Header, publish_batch, write_batch

    header = Header(uuid.uuid4().hex, "TBF001", "1", "LG131041", "CHUKAN01", "000001")
    t0 = time.perf_counter()
    count, _sha = publish_batch(Path(path), lambda f: write_batch(
        f, header=header, flag_kind="NO_AUTO_RESPONSE", municipality_code="131041",
        window_at="2026-11-23T10:05:00+09:00", records=_records()))
    assert count == N
    q.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run(fn, path):
    q = mp.Queue()
    p = mp.Process(target=fn, args=(path, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main():
    # Each phase runs in a fresh child process (clean peak-RSS figure); best of ROUNDS, phases
    # alternating, so both see the same machine load.
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    bare_runs, full_runs = [], []
    with tempfile.TemporaryDirectory() as d:
        full_path = os.path.join(d, "FLAG_NO_AUTO_RESPONSE_131041_202611231005_1.xml")
        for _ in range(rounds):
            bare_runs.append(run(bare, os.path.join(d, "bare.xml")))
            full_runs.append(run(full, full_path))
        size = os.path.getsize(full_path)
    bare_s, full_s = min(r[0] for r in bare_runs), min(r[0] for r in full_runs)
    bare_kb, full_kb = max(r[1] for r in bare_runs), max(r[1] for r in full_runs)
    ratio = full_s / bare_s
    print(f"records:                {N}")
    print(f"file size:              {size / 1e6:.1f} MB")
    print(f"bare lxml write:        {bare_s:.2f} s (best of {rounds}), peak RSS {bare_kb / 1024:.0f} MB")
    print(f"build+validate+publish: {full_s:.2f} s (best of {rounds}), peak RSS {full_kb / 1024:.0f} MB")
    print(f"all runs (s):           bare {[round(r[0], 2) for r in bare_runs]} "
          f"full {[round(r[0], 2) for r in full_runs]}")
    print(f"ratio to bare:          {ratio:.2f}x (target <= 2.0)")
    ok = ratio <= 2.0 and full_kb / 1024 < 200
    print("RESULT:", "within targets" if ok else "OUTSIDE targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
