"""One JSON error shape for the whole API: {"detail": str, "errors": {field: [messages]}}."""
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from core.errors import DomainError, NotFound, ValidationFailed


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors (a list field's items by index, nested serializers by field); the
    one error shape is flat: {"cases[0]": [...], "jumin_support.start": [...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if not prefix:
                name = str(key)
            elif isinstance(key, int) or str(key).isdigit():
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}"
            for field, messages in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, (list, tuple)):
        flat = {}
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list, tuple)):  # one entry per item of a many=True field
                for field, messages in flatten_errors(value, f"{prefix}[{index}]").items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or "non_field_errors", []).append(str(value))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


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
        response.data = {"detail": "入力内容に誤りがあります。", "errors": flatten_errors(exc.detail)}
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"detail": "認証が必要です。", "errors": {}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"detail": str(detail), "errors": {}}
    return response


def not_found(request, exception):
    """handler404: a path under /api/ that no route matches (one the API's catch-all cannot
    see either, e.g. with a newline in it) still answers in the API's JSON error shape."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "対象が見つかりません。", "errors": {}}, status=404)
    return page_not_found(request, exception)
