"""Thin Celery entry points. Arguments are ids only (never personal data); the rows decide."""
import datetime
import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from celery import shared_task
from django.conf import settings

from audit import context
from core import log_context

from . import channels, clock, flag_kinds, retention, services, windows
from .dispatch import DELIVER_OPERATION, nudge_delivery
from .models import OperationStatus

log = logging.getLogger(__name__)


P = ParamSpec("P")
R = TypeVar("R")


def as_worker(task: Callable[P, R]) -> Callable[P, R]:
    """Audit events written by the task say they came from the worker (one binding for all)."""
    @functools.wraps(task)
    def bound(*args: P.args, **kwargs: P.kwargs) -> R:
        token = context.bind(context.RequestContext(channel="worker"))
        try:
            return task(*args, **kwargs)
        finally:
            context.reset(token)
    return bound


@shared_task(name=DELIVER_OPERATION)
@as_worker
def deliver_operation(operation_id: str) -> str:
    with log_context.bound(operation_id=operation_id):
        outcome = _deliver_operation(operation_id)
        # The line names the operation by its id (the context adds it), never its 宛名番号.
        log.info("operation delivery: %s", outcome)
        return outcome


def _deliver_operation(operation_id: str) -> str:
    op = services.operation_deliver_web_service(operation_id=operation_id)
    if op is None:
        return "skipped"
    if op.status == OperationStatus.FAILED and op.next_attempt_at:
        # Backoff retry; if this message is lost the sweeper still finds the row. Long
        # countdowns are left to the sweeper: an ETA beyond Redis's visibility timeout
        # would be redelivered early anyway.
        delay = min(600.0, max(0.0, (op.next_attempt_at - clock.now()).total_seconds()))
        deliver_operation.apply_async(args=(operation_id,), countdown=delay)
    elif op.status == OperationStatus.REFLECTED:
        for waiting in services.next_in_line(operation=op):
            deliver_operation.apply_async(args=(waiting,))
    return op.status


@shared_task(name="intermediary.xml_batch_tick")
@as_worker
def xml_batch_tick() -> list[str]:
    """Write the batch of every flag kind whose window is near (beat runs this often)."""
    if settings.INTERMEDIARY_CHANNEL != "xml_batch":
        return []
    built = []
    now, cfg = clock.now(), services.window_config()
    lead = datetime.timedelta(seconds=settings.INTERMEDIARY_BATCH_LEAD_SECONDS)
    for kind in flag_kinds.FLAG_KINDS:
        window = windows.window_to_build(kind, now, cfg, lead)
        if window is not None:
            batch = services.batch_build(flag_kind=kind, window_at=window)
            if batch is not None:
                built.append(str(batch.pk))
    return built


@shared_task(name="intermediary.results_ingest")
@as_worker
def results_ingest() -> dict:
    return services.results_ingest()


@shared_task(name="intermediary.sweep")
@as_worker
def sweep() -> dict:
    now = clock.now()
    todo = services.sweep(now=now)
    services.failing_alerts_raise(now=now)
    for batch_id in todo["resume_batches"]:
        services.batch_publish(batch_id=batch_id)
    nudge_delivery(todo["redrive"])
    return {k: len(v) for k, v in todo.items()}


@shared_task(name="intermediary.reconcile")
@as_worker
def reconcile() -> int:
    listing = channels.state_listing()
    return len(services.reconcile(listing=listing, now=clock.now()))


@shared_task(name="intermediary.retention_files")
@as_worker
def retention_files() -> dict:
    """Archive old XML files, remove archives past the record period (ADR 0080)."""
    return retention.files_archive(now=clock.now())
