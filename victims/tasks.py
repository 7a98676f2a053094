"""The daily reminder job, scheduled by the single beat. No arguments: the live record decides
(never personal data in a message)."""
from celery import shared_task
from django.utils import timezone

from audit import context

from . import intake_drafts
from .reminders import reminders_record_and_alert
from .retention import personal_data_erase


@shared_task(name="victims.daily_reminders")
def daily_reminders() -> dict[str, int]:
    token = context.bind(context.RequestContext(channel="worker"))
    try:
        return reminders_record_and_alert(now=timezone.now())
    finally:
        context.reset(token)


@shared_task(name="victims.retention_personal_data")
def retention_personal_data() -> dict[str, int]:
    """Personal data of persons whose protection ended PERSONAL_DATA_RETENTION_YEARS ago (ADR 0081)."""
    token = context.bind(context.RequestContext(channel="worker"))
    try:
        return personal_data_erase(now=timezone.now())
    finally:
        context.reset(token)


@shared_task(name="victims.intake_drafts_purge")
def intake_drafts_purge() -> int:
    """Kept intake input past its limit is deleted even if its clerk never comes back (ADR 0061)."""
    return intake_drafts.intake_drafts_purge()
