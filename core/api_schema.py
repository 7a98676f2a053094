"""The one error shape of the API, described once for the OpenAPI schema."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="利用者向けの説明")
    # DRF's metaclass takes declared fields off the class, so this does not replace Serializer.errors;
    # the stubs cannot see that.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="項目名 → メッセージの一覧（項目に紐づかない誤りは空）",
    )
    request_id = serializers.CharField(
        help_text="この要求の ID（応答ヘッダー X-Request-ID と同じ）。問い合わせの際にお知らせください",
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: _error("入力の誤り。errors に項目ごとのメッセージ"),
    401: _error("認証情報がない、または無効"),
    403: _error("この役割・所属では実行できない"),
    404: _error("存在しない、または閲覧権限がない（区別しない）"),
    409: _error("状態の競合（既に決裁済みなど）"),
}

__all__ = ["ErrorSerializer", "ERROR_RESPONSES", "inline_serializer"]


# Registered on import; every API view module imports this one.
class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "職員のAPIトークン：`Authorization: Token <key>`（manage.py issue_api_token で発行）"}


class SystemClientScheme(OpenApiAuthenticationExtension):
    target_class = "integration.authentication.SystemClientAuthentication"
    name = "systemClient"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "他システムの認証情報：`Authorization: System <key>`"
                               "（manage.py create_system_client で発行、所属に紐づき失効可能）"}


UPLOAD_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    413: _error("アップロードが上限を超える（宣言された長さは本文を読む前に、行数は受信中に拒否）"),
}

# The bulk check and the recipient filter: one job per caller at a time, and a daily quota.
BULK_ERROR_RESPONSES = {
    **UPLOAD_ERROR_RESPONSES,
    429: _error("この利用者の一括処理が実行中、または1日の件数の上限に達した"),
}
