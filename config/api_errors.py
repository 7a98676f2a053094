"""One JSON error shape for the whole API: {"detail": str, "errors": {field: [messages]}}."""
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from .errors import DomainError, NotFound, ValidationFailed


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response({"detail": exc.message, "errors": {k: [v] for k, v in exc.errors.items()}},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (NotFound, Http404)):
        return Response({"detail": "対象が見つかりません。", "errors": {}}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response({"detail": exc.message, "errors": errors}, status=exc.status)
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": "入力内容に誤りがあります。", "errors": errors}
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"detail": "認証が必要です。", "errors": {}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"detail": str(detail), "errors": {}}
    return response
