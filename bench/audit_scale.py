"""Benchmark (not a test): every auditor query at seven years of events (issue 14, ADR 0069/0070).

On the kept volume of bench/audit_volume.py (N events, default 20,000,000; built if missing),
prints for each query the EXPLAIN ANALYZE execution time and the plan's first node (so an
index is proved, not guessed), and the wall time of the whole selector as the screen calls it:
search by actor, action, target, one day, one year, seven years (a page of 50 and the count
capped at 10,000); who has seen a much-read person; anomalies for a month and a year; and one
month's CSV streamed (bytes, rows, seconds, peak memory growth).
    make bench-audit-scale        (N=… override)"""
import datetime
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import audit_volume as volume  # noqa: E402 - after the path

N = int(os.environ.get("N", 20_000_000))
TARGET_S = 1.0


def explain(label: str, sql: str, params) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in cur.fetchall()]
    ms = next(float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time"))
    nodes = [line.strip().lstrip("-> ").split("  (")[0] for line in plan if "Scan" in line]
    print(f"    {label:<46} {ms:9.1f} ms  {'; '.join(dict.fromkeys(nodes))[:150]}")
    return ms


def explain_qs(label: str, qs) -> float:
    sql, params = qs.query.sql_with_params()
    return explain(label, sql, params)


class QueryLog:
    """Every SQL statement a call runs, with its time: which part of a screen is slow, measured."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - t0, sql, tuple(params or ())))

    def report(self, top: int = 3) -> None:
        """The slowest statements with their time, the slowest `top` of them explained."""
        slowest = sorted(self.queries, key=lambda q: -q[0])
        print(f"    {len(self.queries)} queries, {sum(q[0] for q in self.queries) * 1000:.0f} ms in the database")
        for seconds, sql, params in slowest[:top]:
            if sql.lstrip().upper().startswith("SELECT"):
                explain(f"{seconds * 1000:.0f} ms: {' '.join(sql.split())[:40]}…", sql, params)


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def main() -> None:
    have = volume.ensure_volume(N)
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Staff
    from audit import selectors
    from audit.models import AuditEvent

    auditor, _ = Staff.objects.get_or_create(username="bench_auditor", defaults={"role": "auditor"})
    # The periods end on the volume's own last day (event N): `make bench-audit` appends a dense
    # day after it (and its append rate runs at the wall clock), which is not the calendar of a city.
    top = min(have, N)
    last = timezone.localtime(AuditEvent.objects.filter(id__lte=top).order_by("-id")
                              .values_list("occurred_at", flat=True).first())
    end = last.date()
    periods = {"one day": (end, end), "one year": (end - datetime.timedelta(days=364), end),
               "seven years": (volume.FIRST_DAY.astimezone(last.tzinfo).date(), end)}
    hot = int(AuditEvent.objects.filter(id__gt=top - 200_000, id__lte=top, action="target.read").values("target_id")
              .annotate(n=Count("id")).order_by("-n").values_list("target_id", flat=True).first() or 1)
    print(f"Auditor queries at {have:,} events (last event {last:%Y-%m-%d %H:%M}); target < {TARGET_S:.0f} s each")
    searches = [
        ("actor staff0042, seven years", selectors.EventFilter(*periods["seven years"], actor="staff0042")),
        ("action target.read, one year", selectors.EventFilter(*periods["one year"], action="target.read")),
        ("action prefix change_request., seven years",
         selectors.EventFilter(*periods["seven years"], action="change_request.")),
        (f"target #{hot}, seven years", selectors.EventFilter(*periods["seven years"], target_id=hot)),
        ("department d07, one year", selectors.EventFilter(*periods["one year"], department="d07")),
        ("one day, no filter", selectors.EventFilter(*periods["one day"])),
        ("one day seven years ago, actor staff0042",
         selectors.EventFilter(periods["seven years"][0] + datetime.timedelta(days=3),
                               periods["seven years"][0] + datetime.timedelta(days=3), actor="staff0042")),
        ("one year, no filter", selectors.EventFilter(*periods["one year"])),
        ("seven years, no filter", selectors.EventFilter(*periods["seven years"])),
    ]
    worst = 0.0
    for label, flt in searches:
        print(f"  search: {label}")
        qs = selectors._filtered(flt)
        explain_qs("page of 50 (newest first)", qs[:51])
        inner, params = qs.order_by().values("id")[:selectors.COUNT_CAP].query.sql_with_params()
        explain("count, capped at 10,000", f"SELECT count(*) FROM ({inner}) capped", params)  # noqa: S608
        page, seconds = timed(lambda flt=flt: selectors.event_search(actor=auditor, flt=flt))
        older = page.older_than
        if older:
            _, older_s = timed(lambda flt=flt, older=older: selectors.event_search(actor=auditor, flt=flt,
                                                                                   before=older))
        else:
            older_s = 0.0
        worst = max(worst, seconds, older_s)
        print(f"    screen (selector, with its own audit event): {seconds * 1000:.0f} ms, {page.total_label}; "
              f"next page {older_s * 1000:.0f} ms")

    print(f"  who has seen target #{hot} (much read)")
    newest = AuditEvent.objects.order_by("-id")
    explain_qs("reads (target_id, id)",
               newest.filter(target_id=hot, action__in=selectors.READ_ACTIONS)[:selectors.WHO_HAS_SEEN_LIMIT])
    explain_qs("bulk matches (AuditEventTarget key)",
               newest.filter(selectors._matched_in_bulk(hot))[:selectors.WHO_HAS_SEEN_LIMIT])
    explain_qs("listings naming them (GIN on target_ids)",
               selectors._listed(newest, hot)[:selectors.WHO_HAS_SEEN_LIMIT])
    events, seconds = timed(lambda: selectors.who_has_seen(actor=auditor, target_id=hot))
    worst = max(worst, seconds)
    print(f"    screen: {seconds * 1000:.0f} ms, {len(events)} events")

    from audit.day_counts import count_closed_days, verify_counts

    (days, _more), seconds = timed(lambda: count_closed_days(limit=10_000))
    print(f"  day counts for the anomaly view: {len(days):,} closed days counted in {seconds:.1f} s "
          f"(the beat does one a night)")
    month_start = end - datetime.timedelta(days=30)
    (bad, _reason), seconds = timed(lambda: verify_counts(month_start, end))
    print(f"  day counts of one month recounted from the events: {'OK' if bad is None else 'MISMATCH'} "
          f"in {seconds:.1f} s")
    from django.db import connection

    for label, (start, stop) in (("month", (end - datetime.timedelta(days=30), end)), ("year", periods["one year"])):
        log = QueryLog()
        with connection.execute_wrapper(log):
            result, seconds = timed(lambda start=start, stop=stop: selectors.anomalies(actor=auditor, start=start,
                                                                                         end=stop))
        worst = max(worst, seconds)
        print(f"  anomalies, one {label}: {seconds * 1000:.0f} ms (off hours {len(result.off_hours)}, heavy readers "
              f"{len(result.heavy_readers)}, wide searchers {len(result.wide_searchers)}, "
              f"failed logins {len(result.failed_logins)})")
        log.report()

    from audit import csv_export

    month = selectors.EventFilter(end - datetime.timedelta(days=30), end)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    qs, count = selectors.event_export(actor=auditor, flt=month)
    size = sum(len(chunk.encode()) for chunk in csv_export.stream(qs))
    seconds = time.perf_counter() - t0
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    print(f"  one month's CSV: {count:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s (target ≤ 30 s), "
          f"peak memory grew {grown:.0f} MB")
    print(f"Slowest screen: {worst * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms: "
          f"{'met' if worst < TARGET_S else 'MISSED'})")


if __name__ == "__main__":
    main()
