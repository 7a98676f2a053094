"""Celery app: one worker pool and exactly one beat (the schedule below).

Reliability: tasks ack late and are rejected (requeued) when a worker dies, one message is
prefetched at a time, and the Redis visibility timeout stays above every time limit
(settings assert it). The outbox rows remain the truth; the sweeper covers any lost message."""
import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

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
        # Kept intake input past the absolute session limit, deleted within 15 minutes (ADR 0061).
        "victims-intake-drafts-purge": {"task": "victims.intake_drafts_purge", "schedule": 15 * 60.0},
    }


@app.on_after_finalize.connect
def _setup_schedule(sender, **kwargs):
    sender.conf.beat_schedule = _beat_schedule()
