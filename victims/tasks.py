"""The daily reminder job, scheduled by the single beat. No arguments: the live record decides
(never personal data in a message)."""
from celery import shared_task
from django.utils import timezone

from audit import context

from .reminders import reminders_record_and_alert


@shared_task(name="victims.daily_reminders")
def daily_reminders() -> dict[str, int]:
    token = context.bind(context.RequestContext(channel="worker"))
    try:
        return reminders_record_and_alert(now=timezone.now())
    finally:
        context.reset(token)
