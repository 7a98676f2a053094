"""The top layer: settings, URLs, the Celery app, WSGI and the home page."""
from .celery import app as celery_app

__all__ = ("celery_app",)
