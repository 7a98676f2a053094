from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "職員・所属"

    def ready(self):
        # Imported for its @receiver side effect (tokens revoked on a change of rights), in
        # ready() because receivers need the app registry.
        from . import receivers  # noqa: F401, PLC0415
