"""In-process Prometheus metrics: what only the process that did the work can count (ADR 0065).

Everything that the database knows (backlog, dead operations, alerts, verification, chain length,
reminders) is computed at scrape time by config/metrics.py instead, so it is right whichever
process answers the scrape. These few are counted where the work happens. With several
processes (gunicorn workers, Celery), PROMETHEUS_MULTIPROC_DIR makes prometheus_client keep the
values in per-process files of that folder, which the scrape sums; it must be set before the
process starts and emptied when the service starts (the image's entrypoint does both)."""
from prometheus_client import Counter, Histogram

# The inquiry-time check as a caller waits for it (answer + its audit event). The buckets
# bracket the single check's p50 ≈ 12 ms and its 50 ms p99 target, and a bulk file's seconds.
CHECK_SECONDS = Histogram(
    "dvprotect_check_duration_seconds", "Inquiry-time check latency, by kind (single or bulk)", ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BULK_NUMBERS = Counter("dvprotect_bulk_numbers_checked", "Numbers checked by bulk inquiry checks")
