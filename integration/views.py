"""Review tasks raised by outside events (住基 push), for the owning department. Thin."""
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from core import policy
from core.policy import Capability
from core.screens import act, screen
from victims.selectors import review_tasks_for
from victims.services import review_task_close, review_task_grant


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def review_tasks(request):
    return render(request, "integration/review_tasks.html", {
        "tasks": review_tasks_for(actor=request.user),
        # The one-click grant is the head's (policy.grant_refusal); the tasks are the own department's.
        "is_approver": policy.allows(request.user, Capability.DECIDE)})


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def close(request, pk):
    return act(request, lambda: review_task_close(actor=request.user, task_id=pk,
                                                  note=request.POST.get("note", "")[:2000]),
               success="対応済みにしました。", then="integration:review_tasks")


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def grant(request, pk):
    """「この所属に閲覧を許可する」 on an also_supported task: grant and close in one step."""
    return act(request, lambda: review_task_grant(actor=request.user, task_id=pk),
               success="申出をした所属に閲覧を許可し、対応済みにしました。", then="integration:review_tasks")
