from django.apps import AppConfig

# Importing registers the refusals of unsafe settings with Django's check framework (ADR 0062).
from . import startup_checks  # noqa: F401


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "共通"
