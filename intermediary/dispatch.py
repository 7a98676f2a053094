"""Nudges: after a commit, tell the worker to look now. Losing a nudge (broker down) costs
latency only, because the sweeper re-drives every due row; so a failure here is logged, never
raised into the request that already committed the approval.

The task goes by name, not by importing intermediary.tasks: tasks import the services that
import this module, and the design sends a task by name rather than import to dodge a cycle."""
import logging

from celery import current_app
from django.conf import settings

log = logging.getLogger(__name__)
DELIVER_OPERATION = "intermediary.deliver_operation"


def nudge_delivery(operation_ids: list[str]) -> None:
    if settings.INTERMEDIARY_CHANNEL != "web_service":
        return  # the XML channel waits for its window; the beat tick picks the rows up
    for op_id in operation_ids:
        try:
            # By name, so this module needs no import of the tasks that call it (no cycle).
            # No publish retries: a down broker must not stall the approver's request.
            current_app.send_task(DELIVER_OPERATION, args=[op_id], retry=False)
        except Exception:  # noqa: BLE001 — any broker failure; the row stays pending
            log.warning("delivery nudge not sent (broker unavailable); sweeper will re-drive operation %s", op_id)
