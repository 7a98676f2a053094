"""Review tasks raised by outside events (住基 push), for the owning department. Thin."""
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from core.policy import Capability
from core.screens import act, screen
from victims.selectors import review_tasks_for
from victims.services import review_task_close


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def review_tasks(request):
    return render(request, "integration/review_tasks.html", {"tasks": review_tasks_for(actor=request.user)})


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def close(request, pk):
    return act(request, lambda: review_task_close(actor=request.user, task_id=pk,
                                                  note=request.POST.get("note", "")[:2000]),
               success="対応済みにしました。", then="integration:review_tasks")
