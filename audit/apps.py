from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "監査ログ"

    def ready(self):
        # Auth events come from Django's auth signals so that every login path
        # (form, admin command, API session) is covered without each view remembering.
        # Imported for its @receiver side effect, in ready() because receivers need the app registry.
        from . import receivers  # noqa: F401, PLC0415
