"""Daily chain anchor and verification, scheduled by the single beat."""
from celery import shared_task

from .services import anchor_create, verification_run
from .sinks import SinkWriteFailed


@shared_task(name="audit.daily_anchor_and_verify")
def daily_anchor_and_verify() -> None:
    # A sink that did not take the verification result must not cost the day its anchor:
    # both run, then the task fails (loudly, in the worker's log) if either could not be written.
    failures = []
    for step in (verification_run, anchor_create):
        try:
            step()
        except SinkWriteFailed as exc:
            failures.append(f"{step.__name__}: {exc}")
    if failures:
        raise SinkWriteFailed("; ".join(failures))
