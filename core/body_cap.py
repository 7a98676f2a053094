"""One cap on every request body, before anything reads it (ADR 0017).

Django bounds form fields and `request.body` (DATA_UPLOAD_MAX_MEMORY_SIZE) but not a file part
of a multipart body: the CSRF check reads `request.POST` of every screen's POST, and the
default upload handlers spool whatever file arrives to a temporary file first. A view that
takes a large body caps it itself (the upload views, the 住基 push: `own_body_cap`); every
other request whose declared length is above DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 here."""
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .api_errors import error_body


def own_body_cap(view: Callable) -> Callable:
    """Marks a view (function) that checks the size of its body itself."""
    view.own_body_cap = True  # type: ignore[attr-defined]
    return view


def _caps_itself(view_func) -> bool:
    # A DRF view's function carries its class (`cls`); a screen's function carries the mark.
    return bool(getattr(view_func, "own_body_cap", False) or getattr(getattr(view_func, "cls", None), "own_body_cap",
                                                                     False))


class RequestBodyCapMiddleware:
    """Before the CSRF middleware in MIDDLEWARE: its process_view reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or _caps_itself(view_func):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django answers a malformed length itself
        if length <= limit:
            return None
        message = f"送信された内容が大きすぎます（上限 {limit:,} バイト）。"
        if request.path_info.startswith("/api/"):
            return JsonResponse(error_body(request, message), status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
