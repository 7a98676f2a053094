"""Daily chain anchor and verification, scheduled by the single beat."""
from celery import shared_task

from .services import anchor_create, verification_run


@shared_task(name="audit.daily_anchor_and_verify")
def daily_anchor_and_verify() -> None:
    verification_run()
    anchor_create()
