"""The approval queue (approve / reject), withdrawal of a request and its 決裁票. Thin."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.errors import Conflict, DomainError, NotFound
from core.policy import Capability
from core.screens import screen
from flags import rules
from flags.models import ChangeStatus

from .decisions import QUEUE_PAGE_SIZE, decision_for, queue_with_previews
from .services import change_request_approve, change_request_reject, change_request_withdraw
from .slips import change_request_slip

_FIELD_ERRORS = {"reason": "reason_error", "withdraw": "withdraw_error"}


def _queue_page(request, status=200, failed=None, field="approve", error="", reason=""):
    """`failed` is the request whose decision was refused; its error goes next to the
    form that caused it, or on top when it has left the queue meanwhile."""
    requests = queue_with_previews(actor=request.user, page=request.GET.get("page", 1))
    page_error = error
    for cr in requests:
        cr.release_reason_label = rules.RELEASE_REASONS.get(cr.release_reason, "")
        cr.own = cr.requested_by_id == request.user.pk
        cr.approve_error = cr.reason_error = cr.withdraw_error = ""
        cr.reason_value = ""
        if cr.pk == failed:
            setattr(cr, _FIELD_ERRORS.get(field, "approve_error"), error)
            cr.reason_value = reason
            page_error = ""
    return render(request, "victims/queue.html", {"requests": requests, "page_error": page_error,
                                                  "page_size": QUEUE_PAGE_SIZE}, status=status)


@screen(Capability.DECIDE)
@require_safe
def queue(request):
    return _queue_page(request)


def _decide_page(request, pk, status=200, error="", field="approve", reason=""):
    change_request, preview = decision_for(actor=request.user, change_request_id=pk)
    change_request.release_reason_label = rules.RELEASE_REASONS.get(change_request.release_reason, "")
    return render(request, "victims/decide.html", {
        "cr": change_request, "preview": preview, "own": change_request.requested_by_id == request.user.pk,
        "approve_error": error if field == "approve" else "", "reason_error": error if field == "reason" else "",
        "reason_value": reason,
    }, status=status)


@screen(Capability.DECIDE)
@require_safe
def decide(request, pk):
    """The confirmation step (issue 12): restates what approving changes, then approve or reject."""
    return _decide_page(request, pk)


@screen(Capability.DECIDE)
@require_POST
def approve(request, pk):
    try:
        change_request_approve(actor=request.user, change_request_id=pk, comment=request.POST.get("comment", ""))
    except NotFound:
        raise
    except DomainError as exc:
        # Four eyes, another department, already decided, or the release re-check failed.
        if request.POST.get("next") == "decide" and not isinstance(exc, Conflict):  # still pending
            return _decide_page(request, pk, status=400, error=exc.message)
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
        if request.POST.get("next") == "decide" and exc.field == "reason":
            return _decide_page(request, pk, status=400, error=exc.message, field="reason", reason=reason)
        return _queue_page(request, status=400, failed=pk, field=exc.field or "approve", error=exc.message,
                           reason=reason)
    messages.success(request, "却下しました。")
    return redirect("approvals:queue")


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def withdraw(request, pk):
    """Withdraw a request. A registration's withdrawal is four eyes (ADR 0016): a first call
    asks for it, a head of the department completes it from the queue."""
    from_queue = request.POST.get("next") == "queue"
    try:
        change_request = change_request_withdraw(actor=request.user, change_request_id=pk,
                                                 reason=request.POST.get("reason", ""))
    except NotFound:
        raise
    except DomainError as exc:
        if from_queue:
            return _queue_page(request, status=400, failed=pk, field="withdraw", error=exc.message)
        messages.error(request, exc.message)
        target = request.POST.get("target", "")
        return redirect("victims:detail", pk=int(target)) if target.isdigit() else redirect("home")
    if change_request.status == ChangeStatus.PENDING:
        messages.success(request, "登録の取下げを申し出ました。所属長（申し出た方・登録を申請した方以外）が承認すると"
                                  "取り下げられます。それまでは承認待ちのまま保護されます。")
    else:
        messages.success(request, "申請を取り下げました。")
    return redirect("approvals:queue") if from_queue else redirect("victims:detail", pk=change_request.target_id)


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def slip(request, pk):
    """The printable 決裁票 (ADR 0028): for whoever may see the request's target; else 404."""
    return render(request, "victims/slip.html", {"slip": change_request_slip(actor=request.user, change_request_id=pk)})
