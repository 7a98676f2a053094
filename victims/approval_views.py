"""The approval queue (approve / reject) and withdrawal of a request. Thin."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.errors import DomainError, NotFound
from core.policy import Capability
from core.screens import screen
from flags import rules
from flags.selectors import approval_queue

from .services import change_request_approve, change_request_reject, change_request_withdraw


def _queue_page(request, status=200, failed=None, field="approve", error="", reason=""):
    """`failed` is the request whose decision was refused; its error goes next to the
    form that caused it, or on top when it has left the queue meanwhile."""
    requests = list(approval_queue(actor=request.user))
    page_error = error
    for cr in requests:
        cr.release_reason_label = rules.RELEASE_REASONS.get(cr.release_reason, "")
        cr.own = cr.requested_by_id == request.user.pk
        cr.approve_error = cr.reason_error = ""
        cr.reason_value = ""
        if cr.pk == failed:
            setattr(cr, "reason_error" if field == "reason" else "approve_error", error)
            cr.reason_value = reason
            page_error = ""
    return render(request, "victims/queue.html", {"requests": requests, "page_error": page_error}, status=status)


@screen(Capability.DECIDE)
@require_safe
def queue(request):
    return _queue_page(request)


@screen(Capability.DECIDE)
@require_POST
def approve(request, pk):
    try:
        change_request_approve(actor=request.user, change_request_id=pk, comment=request.POST.get("comment", ""))
    except NotFound:
        raise
    except DomainError as exc:
        # Four eyes, another department, already decided, or the release re-check failed.
        return _queue_page(request, status=400, failed=pk, error=exc.message)
    messages.success(request, "承認しました。自治体中間サーバーへのフラグ反映を開始します。")
    return redirect("approvals:queue")


@screen(Capability.DECIDE)
@require_POST
def reject(request, pk):
    reason = request.POST.get("reason", "")
    try:
        change_request_reject(actor=request.user, change_request_id=pk, reason=reason)
    except NotFound:
        raise
    except DomainError as exc:
        return _queue_page(request, status=400, failed=pk, field=exc.field or "approve", error=exc.message,
                           reason=reason)
    messages.success(request, "却下しました。")
    return redirect("approvals:queue")


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def withdraw(request, pk):
    try:
        change_request = change_request_withdraw(actor=request.user, change_request_id=pk)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        target = request.POST.get("target", "")
        return redirect("victims:detail", pk=int(target)) if target.isdigit() else redirect("home")
    messages.success(request, "申請を取り下げました。")
    return redirect("victims:detail", pk=change_request.target_id)
