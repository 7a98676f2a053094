"""One JSON error shape for the whole API:
{"detail": str, "errors": {field: [messages]}, "request_id": str}.

request_id is the id audit's request context middleware gave the request (request.request_id:
the X-Request-ID answered, the one its audit events and the error log carry), so a caller's
report can be matched. Read from the request: core sits below audit and imports nothing of it."""
import logging
import sys
import traceback

from django.http import Http404, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.defaults import bad_request as screen_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import permission_denied as screen_permission_denied
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from core.errors import DomainError, NotFound, ValidationFailed

logger = logging.getLogger("dvprotect.errors")

SERVER_ERROR_DETAIL = "システムで予期しないエラーが発生しました。時間をおいて再度お試しください。"


def error_body(request, detail: str, errors: dict | None = None) -> dict:
    return {"detail": detail, "errors": errors or {}, "request_id": request_id_of(request)}


def request_id_of(request) -> str:
    return getattr(request, "request_id", "") or ""


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


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
    request = context.get("request")
    if isinstance(exc, ValidationFailed):
        return Response(error_body(request, exc.message, {k: [v] for k, v in exc.errors.items()}),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (NotFound, Http404)):
        return Response(error_body(request, "対象が見つかりません。"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(request, exc.message, errors), status=exc.status)
    response = drf_handler(exc, context)
    if response is None:
        return None  # unexpected: re-raised by DRF, answered by server_error (handler500)
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(request, "入力内容に誤りがあります。", flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = error_body(request, "認証が必要です。")
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(request, str(detail))
    return response


def not_found(request, exception):
    """handler404: a path under /api/ that no route matches (one the API's catch-all cannot
    see either, e.g. with a newline in it) still answers in the API's JSON error shape."""
    if _is_api(request):
        return JsonResponse(error_body(request, "対象が見つかりません。"), status=404)
    return page_not_found(request, exception)


def bad_request(request, exception):
    """handler400: Django's own refusals (SuspiciousOperation: a body or field count over
    the limits, a bad Host) reach no DRF view; under /api/ they still answer the one shape."""
    if _is_api(request):
        return JsonResponse(error_body(request, "リクエストが正しくありません。"), status=400)
    return screen_bad_request(request, exception)


def permission_denied(request, exception):
    """handler403: a PermissionDenied outside DRF's handling, under /api/, in the one shape."""
    if _is_api(request):
        return JsonResponse(error_body(request, "この操作を行う権限がありません。"), status=403)
    return screen_permission_denied(request, exception)


def server_error(request):
    """handler500: any exception no view handled. Logged once with the request id and the
    code path (exception types and frames) but not the exception's message nor the request
    body, which may hold personal data (a database error quotes the row's values); the
    caller sees no traceback: JSON in the one shape under /api/, the Japanese page otherwise.
    Needs neither the database nor context processors, which may be what failed."""
    request_id = request_id_of(request)
    _log_unhandled(request, request_id)
    if _is_api(request):
        response = JsonResponse(error_body(request, SERVER_ERROR_DETAIL), status=500)
    else:
        try:
            response = HttpResponseServerError(loader.get_template("500.html").render({"request_id": request_id}))
        except Exception:  # the page itself must never be the second failure
            response = HttpResponseServerError("500 システムエラー", content_type="text/plain; charset=utf-8")
    response._has_been_logged = True  # Django would log again, with the exception's message
    return response


def _log_unhandled(request, request_id: str) -> None:
    exc = sys.exc_info()[1]
    chain = []
    seen = set()
    while exc is not None and id(exc) not in seen:  # the raised exception and what caused it
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    match = getattr(request, "resolver_match", None)
    route = match.view_name if match else "-"
    lines = []
    for item in reversed(chain):
        lines.append(f"{type(item).__module__}.{type(item).__qualname__}")
        lines.extend(line.rstrip("\n") for line in traceback.format_tb(item.__traceback__))
    logger.error("unhandled exception request_id=%s method=%s route=%s exception=%s\n%s",
                 request_id, request.method, route,
                 " <- ".join(type(e).__qualname__ for e in chain) or "-", "\n".join(lines),
                 extra={"request_id": request_id, "status_code": 500})
