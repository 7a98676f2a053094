"""Celery app: one worker pool and exactly one beat (the schedule below; config.beat enforces one).

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


# A daily entry's message that waited this long (workers down, broker backlog) is dropped;
# the next day's run does the same work.
DAILY_EXPIRES_SECONDS = 12 * 3600


def _every(task: str, seconds: float) -> dict:
    """A periodic entry whose message expires after one period (ADR 0074): ticks queued
    while no worker ran are dropped instead of running back-to-back when one returns; the
    next tick does the same work (every periodic task reads the rows, not the message)."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


def _daily(task: str, at: str) -> dict:
    hh, mm = at.split(":")
    return {"task": task, "schedule": crontab(hour=int(hh), minute=int(mm)),
            "options": {"expires": DAILY_EXPIRES_SECONDS}}


def _beat_schedule():
    return {
        "intermediary-xml-batch-tick": _every("intermediary.xml_batch_tick", 15.0),
        "intermediary-results-ingest": _every("intermediary.results_ingest", 15.0),
        "intermediary-sweep": _every("intermediary.sweep", settings.INTERMEDIARY_SWEEP_SECONDS),
        # Daily, in Japan time (CELERY_TIMEZONE).
        "intermediary-reconcile": _daily("intermediary.reconcile", settings.INTERMEDIARY_RECONCILE_AT),
        # The auditors' daily anchor of the chain head, and apart from it (ADR 0068) the
        # incremental verification, bounded by AUDIT_VERIFY_BUDGET_SECONDS.
        "audit-daily-anchor": _daily("audit.daily_anchor", settings.AUDIT_ANCHOR_AT),
        "audit-daily-verify": _daily("audit.verify_incremental", settings.AUDIT_ANCHOR_AT),
        # Yesterday's per-person counts for the anomaly view (ADR 0070).
        "audit-day-counts": _daily("audit.day_counts", settings.AUDIT_ANCHOR_AT),
        # Records when each reminder became due and alerts the approvers of overdue ones (ADR 0026).
        "victims-daily-reminders": _daily("victims.daily_reminders", settings.REMINDER_JOB_AT),
        # Retention (ADR 0080, 0081): expired sessions and old login attempts, old XML files,
        # personal data past the record period. Each idempotent and audited with its counts.
        "accounts-retention": _daily("accounts.retention", settings.RETENTION_JOB_AT),
        "intermediary-retention-files": _daily("intermediary.retention_files", settings.RETENTION_JOB_AT),
        "victims-retention-personal-data": _daily("victims.retention_personal_data", settings.RETENTION_JOB_AT),
        # Kept intake input past the absolute session limit, deleted within 15 minutes (ADR 0061).
        "victims-intake-drafts-purge": _every("victims.intake_drafts_purge", 15 * 60.0),
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
