"""Review tasks raised by outside events (住基 push), for the owning department. Thin."""
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from accounts.views import VICTIM_ROLES, act, screen

from .selectors import review_tasks_for
from .services import review_task_close


@screen(*VICTIM_ROLES)
@require_safe
def review_tasks(request):
    return render(request, "integration/review_tasks.html", {"tasks": review_tasks_for(actor=request.user)})


@screen(*VICTIM_ROLES)
@require_POST
def close(request, pk):
    return act(request, lambda: review_task_close(actor=request.user, task_id=pk,
                                                  note=request.POST.get("note", "")[:2000]),
               success="対応済みにしました。", then="integration:review_tasks")
