"""Review tasks raised by outside events (住基 push), for the owning department. Thin."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.views import VICTIM_ROLES, screen
from config.errors import DomainError, NotFound

from .selectors import review_tasks_for
from .services import review_task_close


@screen(*VICTIM_ROLES)
@require_safe
def review_tasks(request):
    return render(request, "integration/review_tasks.html", {"tasks": review_tasks_for(actor=request.user)})


@screen(*VICTIM_ROLES)
@require_POST
def close(request, pk):
    try:
        review_task_close(actor=request.user, task_id=pk, note=request.POST.get("note", "")[:2000])
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "対応済みにしました。")
    return redirect("integration:review_tasks")
