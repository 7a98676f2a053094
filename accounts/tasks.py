"""The daily retention jobs of login state (accounts.retention), scheduled by the single beat."""
from celery import shared_task
from django.utils import timezone

from audit import context

from .retention import login_attempts_purge, sessions_clear


@shared_task(name="accounts.retention")
def retention() -> dict[str, object]:
    token = context.bind(context.RequestContext(channel="worker"))
    try:
        now = timezone.now()
        return {"sessions": sessions_clear(now=now), **login_attempts_purge(now=now)}
    finally:
        context.reset(token)
