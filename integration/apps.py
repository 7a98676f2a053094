from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "他システム連携（システムクライアント・住基連携）"
