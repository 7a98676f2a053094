"""The xlsx downloads (ADR 0059): the bulk check's result for 1,000,000 numbers and an audit-like
export of 200,000 rows × 14 columns, written by core.tabular (xlsxwriter, constant_memory), vs the
CSV of the same table in the same run (the raw baseline a clerk had before). Prints seconds,
rows per second, file sizes and the process's peak resident memory.

    make bench-xlsx            (NUMBERS=…, ROWS=… override)
"""
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from core.tabular import Column, Kind, Table, csv_bytes, xlsx_file  # noqa: E402

NUMBERS = int(os.environ.get("NUMBERS", 1_000_000))
ROWS = int(os.environ.get("ROWS", 200_000))


def _measure(label: str, make) -> tuple[float, int]:
    """Seconds and size; the resident-memory high-water mark after it (ru_maxrss only grows:
    xlsx runs first, so its figure is its own)."""
    t0 = time.perf_counter()
    size = make()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"  {label:<5} {seconds:7.2f} s  {size / 1e6:7.1f} MB  process peak RSS {peak:6.0f} MB")
    return seconds, size


def _xlsx_size(table: Table) -> int:
    with xlsx_file(table) as f:
        f.seek(0, 2)
        return f.tell()


def run(name: str, columns, rows_of) -> None:
    print(f"{name}:")
    xlsx_s, _ = _measure("xlsx", lambda: _xlsx_size(Table(columns, rows_of())))
    csv_s, _ = _measure("csv", lambda: len(csv_bytes(Table(columns, rows_of()), ids_as_excel_text=True)))
    count = sum(1 for _ in rows_of())
    print(f"  xlsx {count / xlsx_s:,.0f} rows/s; ratio xlsx/csv = {xlsx_s / csv_s:.1f}x")


def main() -> None:
    rng = random.Random(1)
    numbers = [f"{rng.randrange(10**15):015d}" for _ in range(NUMBERS)]
    flags = [rng.random() < 0.1 for _ in range(NUMBERS)]
    run(f"bulk check result, {NUMBERS:,} numbers",
        (Column("宛名番号", Kind.ID), Column("不開示コード要否（1=要）", Kind.NUMBER)),
        lambda: ((n, 1 if f else 0) for n, f in zip(numbers, flags, strict=True)))
    audit_columns = [Column(f"列{i}", Kind.ID if i in (0, 8, 12) else Kind.TEXT) for i in range(14)]
    run(f"audit-like export, {ROWS:,} rows × 14 columns", audit_columns,
        lambda: ((i, "2026-12-03 10:00:00", "counter1", "窓口　一郎", "kodomo", "窓口職員", "設定対象者の閲覧",
                  "target.read", 1000 + i % 500, "許可", "web", "127.0.0.1", f"{i:032x}", '{"via": "screen"}')
                 for i in range(ROWS)))


if __name__ == "__main__":
    main()
