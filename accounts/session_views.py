"""「ログインを継続する」: the timeout warning's button (ADR 0048). Any request of a logged-in
session already counts as activity (SessionTimeoutMiddleware); this one does nothing else."""
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from core.screens import screen


@screen(None)
@require_POST
def session_keepalive(request):
    # POST, CSRF-checked: a page of another site cannot keep a clerk's session alive.
    return HttpResponse(status=204)
