"""Daily chain anchor and verification, scheduled by the single beat as two entries (ADR 0068):
the anchor never waits for, nor depends on, a verification that could fail or run long."""
from celery import shared_task

from .day_counts import count_closed_days
from .services import anchor_create, verification_run
from .sinks import SinkWriteFailed
from .verify import INCREMENTAL


@shared_task(name="audit.daily_anchor")
def daily_anchor() -> None:
    anchor_create()


@shared_task(name="audit.verify_incremental")
def verify_incremental() -> None:
    """From the last verified point to the head, within AUDIT_VERIFY_BUDGET_SECONDS. A run that
    stopped at its budget (a backlog, e.g. after an outage) queues the next one at once, which
    continues from where it stopped."""
    run = verification_run(mode=INCREMENTAL)
    if run.ok and not run.complete:
        verify_incremental.apply_async(countdown=1)


@shared_task(name="audit.daily_anchor_and_verify")
def daily_anchor_and_verify() -> None:
    """The one task of earlier versions (a message may still be queued at an upgrade): anchor
    first, so that whatever happens to the verification after it, the day has its anchor."""
    failures = []
    try:
        anchor_create()
    except SinkWriteFailed as exc:
        failures.append(f"anchor_create: {exc}")
    try:
        verification_run(mode=INCREMENTAL)
    except SinkWriteFailed as exc:
        failures.append(f"verification_run: {exc}")
    if failures:
        raise SinkWriteFailed("; ".join(failures))


@shared_task(name="audit.day_counts")
def day_counts() -> None:
    """The closed days' counts for the anomaly view (ADR 0070), a bounded number of days a run:
    the first run after an upgrade continues run after run through the years already logged."""
    _, more = count_closed_days()
    if more:
        day_counts.apply_async(countdown=1)
