"""/metrics for Prometheus (ADR 0065): served only when METRICS_TOKEN is set and only to
"Authorization: Bearer <token>"; anything else gets the same 404 as an unknown URL.

The gauges are computed at scrape time from the database, each with one cheap query (an
aggregate over an indexed column, or one row): operations by state, the age of the oldest
unreflected operation per flag kind, dead operations, open alerts, the last audit verification
and the chain length (the chain head's id, never COUNT(*) of the events), overdue reminders.
Counts and ages only: no row, id or number of a person leaves through here. The in-process
counters (check latency, bulk numbers) come from core/metrics.py, summed over every process
of the host when PROMETHEUS_MULTIPROC_DIR is set."""
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from audit.models import ChainHead, VerificationRun
from core import policy
from intermediary import clock, flag_kinds
from intermediary.models import Alert, AlertKind, Operation, OperationStatus
from victims.models import ReminderKind, ReminderRecord

# Sent or waiting to be sent, and not yet confirmed by the intermediate server. DEAD is counted
# on its own: it waits for a person, not for a window.
UNREFLECTED = (OperationStatus.PENDING, OperationStatus.CLAIMED, OperationStatus.SENT, OperationStatus.FAILED)


ACTIVE = (*UNREFLECTED, OperationStatus.DEAD)


def _reflected_estimate(active: int) -> float:
    if connection.vendor != "postgresql":
        return float(Operation.objects.filter(status=OperationStatus.REFLECTED).count())  # the small demo database
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Operation._meta.db_table])
        row = cursor.fetchone()
    return max(0.0, float(row[0] if row else 0) - active)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = clock.now()
        # Operations another one covers carry its status along; they are one change, counted once.
        ops = Operation.objects.filter(covered_by__isnull=True)
        # Exact counts of the states an operator acts on: few rows, read through the status index.
        # Reflected is where nearly all of a million rows end; counting them exactly is a full scan
        # (0.5 s at 1,000,000 operations, bench/metrics_scrape.py), so it is the planner's estimate.
        by_status = dict(ops.filter(status__in=ACTIVE).values_list("status").annotate(n=Count("pk"))
                         .values_list("status", "n"))
        states = GaugeMetricFamily("dvprotect_operations", "Outbox operations not yet reflected, by state",
                                   labels=["state"])
        for status in ACTIVE:
            states.add_metric([status], by_status.get(status, 0))
        yield states
        yield GaugeMetricFamily("dvprotect_operations_reflected_estimate",
                                "Reflected outbox operations (PostgreSQL: from table statistics, approximate)",
                                value=_reflected_estimate(sum(by_status.values())))
        yield GaugeMetricFamily("dvprotect_dead_operations", "Operations past their retry limit (need a person)",
                                value=by_status.get(OperationStatus.DEAD, 0))

        oldest = dict(ops.filter(status__in=UNREFLECTED).values_list("flag_kind")
                      .annotate(m=Min("created_at")).values_list("flag_kind", "m"))
        age = GaugeMetricFamily("dvprotect_oldest_unreflected_operation_age_seconds",
                                "Age of the oldest operation not yet reflected, by flag kind (0: none)",
                                labels=["flag_kind"])
        for kind in flag_kinds.FLAG_KINDS:
            created = oldest.get(kind)
            age.add_metric([kind], max(0.0, (now - created).total_seconds()) if created else 0.0)
        yield age

        open_alerts = dict(Alert.objects.filter(resolved_at__isnull=True).values_list("kind")
                           .annotate(n=Count("pk")).values_list("kind", "n"))
        alerts = GaugeMetricFamily("dvprotect_open_alerts", "Unresolved sync alerts by kind", labels=["kind"])
        for kind in AlertKind.values:
            alerts.add_metric([kind], open_alerts.get(kind, 0))
        yield alerts

        run = VerificationRun.objects.order_by("-id").only("ok", "finished_at").first()
        yield GaugeMetricFamily("dvprotect_audit_verification_ok",
                                "1 if the last audit chain verification passed, 0 if it failed, -1 if none ran",
                                value=-1 if run is None else int(run.ok))
        yield GaugeMetricFamily("dvprotect_audit_verification_timestamp_seconds",
                                "When the last audit chain verification finished (Unix time; 0: never)",
                                value=run.finished_at.timestamp() if run else 0.0)
        head = ChainHead.objects.only("last_id").first()
        yield GaugeMetricFamily("dvprotect_audit_chain_length", "Id of the newest audit event (the chain's length)",
                                value=head.last_id if head else 0)

        # Each row is one reminder the daily job found overdue and still open, and alerted the
        # approvers of (ADR 0026); the rate of this count is the rate of newly overdue reminders.
        overdue = dict(ReminderRecord.objects.filter(alerted_at__isnull=False).values_list("kind")
                       .annotate(n=Count("pk")).values_list("kind", "n"))
        reminders = GaugeMetricFamily("dvprotect_reminders_overdue",
                                      "Reminders found overdue by the daily job and alerted, by kind", labels=["kind"])
        for kind in ReminderKind.values:
            reminders.add_metric([kind], overdue.get(kind, 0))
        yield reminders


def in_process_exposition() -> bytes:
    """The counters and histograms of core/metrics.py: of every process of the host in
    multiprocess mode (PROMETHEUS_MULTIPROC_DIR), else of this one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def exposition() -> bytes:
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(database) + in_process_exposition()


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    # The token before the method: without it, no answer differs from an unknown URL's.
    if not policy.metrics_scrape_allowed(configured_token=settings.METRICS_TOKEN,
                                         authorization=request.headers.get("Authorization", "")):
        raise Http404()
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
