"""gunicorn in the image (deploy/entrypoint.sh web). Sizing: docs/operations/database_connections.md.

Sync workers by default: each holds one persistent database connection (ADR 0063). With
GUNICORN_THREADS > 1 (gthread) set DB_POOL_MAX_SIZE so the threads share a pool."""
import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 — inside the container; only the proxy reaches it
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Uploads of up to ~64 MiB arrive from the proxy over the compose network; keep-alive with it.
keepalive = 5
# The app's own log lines are JSON (LOG_FORMAT); the access log names the request id the
# response carries, never a query string (searches by number are POST: no personal data in URLs).
accesslog = "-"
access_log_format = '{"logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", ' \
                    '"status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, "request_id": "%({x-request-id}o)s"}'
errorlog = "-"
# The proxy's X-Forwarded-Proto is believed only from the proxy (TRUSTED_PROXIES decides for the app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # A dead worker's live gauges leave the multiprocess sum (counters and histograms stay).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
