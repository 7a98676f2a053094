"""Liveness and readiness for load balancers, compose healthchecks and operators (ADR 0052).

Both answer without login and carry no data: /healthz only says the process serves requests;
/readyz names which of its checks failed (database, migrations, broker, outbound folder) and
nothing else — no exception text, no paths, no counts."""
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

# A probe must answer quickly even when a dependency hangs: the broker gets this long.
BROKER_TIMEOUT_SECONDS = 2


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _migrations() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")


def _broker() -> None:
    # A fresh connection from the settings: the worker's pool says nothing of whether a new
    # task could be queued now.
    with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                    connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)


def _outbound_folder() -> None:
    # The batch channel writes its XML here; a full or read-only volume must take the web
    # process out of rotation before an approval is accepted that cannot be delivered.
    with tempfile.NamedTemporaryFile(dir=settings.INTERMEDIARY_OUTBOUND_DIR, prefix=".readyz-"):
        pass


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "migrations": _migrations,
    "broker": _broker,
    "outbound_folder": _outbound_folder,
}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 — any failure means not ready; its text is not shown
            failed.append(name)
    if failed:
        return JsonResponse({"status": "not_ready", "failed": failed}, status=503)
    return JsonResponse({"status": "ready"})
