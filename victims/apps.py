from django.apps import AppConfig


class VictimsConfig(AppConfig):
    name = "victims"
    verbose_name = "設定対象者"

    def ready(self) -> None:
        # Imported for its @receiver side effect, in ready() because receivers need the app registry.
        from . import intake_drafts  # noqa: F401, PLC0415
