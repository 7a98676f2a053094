from django.apps import AppConfig


class IntermediaryConfig(AppConfig):
    name = "intermediary"
    verbose_name = "自治体中間サーバー連携"
