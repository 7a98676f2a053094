"""Celery app: one worker pool and exactly one beat (the schedule below).

Reliability: tasks ack late and are rejected (requeued) when a worker dies, one message is
prefetched at a time, and the Redis visibility timeout stays above every time limit
(settings assert it). The outbox rows remain the truth; the sweeper covers any lost message."""
import os

import django
from celery import Celery, signals
from celery.schedules import crontab
from django.conf import settings
from django.core.management.base import SystemCheckError

from core import log_context
from core.startup_checks import refuse_unsafe_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dvprotect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_schedule():
    hh, mm = settings.INTERMEDIARY_RECONCILE_AT.split(":")
    ah, am = settings.AUDIT_ANCHOR_AT.split(":")
    rh, rm = settings.REMINDER_JOB_AT.split(":")
    return {
        "intermediary-xml-batch-tick": {"task": "intermediary.xml_batch_tick", "schedule": 15.0},
        "intermediary-results-ingest": {"task": "intermediary.results_ingest", "schedule": 15.0},
        "intermediary-sweep": {"task": "intermediary.sweep", "schedule": settings.INTERMEDIARY_SWEEP_SECONDS},
        # Daily, in Japan time (CELERY_TIMEZONE).
        "intermediary-reconcile": {"task": "intermediary.reconcile", "schedule": crontab(hour=int(hh), minute=int(mm))},
        # The auditors' daily anchor of the chain head, after verifying the chain.
        "audit-daily-anchor": {"task": "audit.daily_anchor_and_verify",
                               "schedule": crontab(hour=int(ah), minute=int(am))},
        # Records when each reminder became due and alerts the approvers of overdue ones (ADR 0026).
        "victims-daily-reminders": {"task": "victims.daily_reminders",
                                    "schedule": crontab(hour=int(rh), minute=int(rm))},
    }


@app.on_after_finalize.connect
def _setup_schedule(sender, **kwargs):
    sender.conf.beat_schedule = _beat_schedule()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_unsafe_start(**kwargs):
    # A worker or beat with the demo's secrets never starts (ADR 0062); Celery runs no Django checks.
    # Celery logs and swallows an exception of a signal handler, so the refusal exits the process.
    django.setup()
    try:
        refuse_unsafe_start()
    except SystemCheckError as refused:
        # To the file descriptor: beat has replaced sys.stderr with a logging proxy by now.
        os.write(2, f"{refused}\n".encode())
        raise SystemExit(1) from refused


@signals.task_prerun.connect
def _bind_task_id(task_id=None, task=None, **kwargs):
    # Every line a task logs carries its id (ADR 0066); the delivery task adds its operation id.
    _task_log_tokens[task_id] = log_context.bind(task_id=task_id, task=getattr(task, "name", None))


@signals.task_postrun.connect
def _unbind_task_id(task_id=None, **kwargs):
    token = _task_log_tokens.pop(task_id, None)
    if token is not None:
        log_context.reset(token)


_task_log_tokens: dict = {}
