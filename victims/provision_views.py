"""Screens of manual-provision decisions (ADR 0036, 0037): the list (pending first), the
form of a new decision (宛名番号 by POST only), a decision with approve / reject for the
contact point's head, and its 決裁票. Thin: victims.provisions does the work and decides,
through core.policy, who sees what (a decision one may not see is a 404)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from core import policy
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.policy import Capability
from core.screens import screen

from .models import ProvisionDecisionStatus
from .provision_forms import ProvisionDecisionForm, RejectProvisionForm
from .provisions import (
    inquirer_notice,
    provision_decision_approve,
    provision_decision_get,
    provision_decision_reject,
    provision_decision_request,
    provision_decision_slip,
    provision_decisions_for,
    record_notice,
)


@screen(None)
@require_safe
def decision_list(request):
    decisions = provision_decisions_for(actor=request.user)
    return render(request, "victims/provisions/list.html", {
        "decisions": decisions, "may_record": policy.allows(request.user, Capability.PROVISION)})


@screen(Capability.PROVISION)
def decision_new(request):
    if request.method != "POST":
        return render(request, "victims/provisions/form.html", {"form": ProvisionDecisionForm()})
    form = ProvisionDecisionForm(request.POST)
    form.is_valid()  # lengths only; the rules are the service's
    try:
        decision = provision_decision_request(actor=request.user, payload=form.payload())
    except ValidationFailed as exc:
        form.add_provision_errors(exc.errors)
        return render(request, "victims/provisions/form.html", {"form": form, "has_errors": True}, status=400)
    messages.success(request, "手動提供の判断を記録しました。所属長（記録した方以外）の承認をお待ちください。")
    return redirect("provisions:detail", pk=decision.pk)


def _detail_page(request, decision, status=200, reject_form=None, error=""):
    decidable = (decision.status == ProvisionDecisionStatus.PENDING
                 and policy.provision_decision_refusal(request.user, requested_by_id=decision.requested_by_id) is None)
    return render(request, "victims/provisions/detail.html", {
        "decision": decision, "decidable": decidable, "reject_form": reject_form or RejectProvisionForm(),
        "record_notice": record_notice(decision), "inquirer_notice": inquirer_notice(decision), "error": error,
    }, status=status)


@screen(None)
@require_safe
def decision_detail(request, pk):
    return _detail_page(request, provision_decision_get(actor=request.user, decision_id=pk))


@screen(None)
@require_POST
def decision_approve(request, pk):
    try:
        provision_decision_approve(actor=request.user, decision_id=pk)
    except (NotFound, Forbidden):
        raise  # the screen's 404 / 403
    except DomainError as exc:  # already decided
        decision = provision_decision_get(actor=request.user, decision_id=pk)
        return _detail_page(request, decision, status=400, error=exc.message)
    messages.success(request, "承認しました。提供の記録は必ず「不開示」とし、照会機関に取扱いの注意を伝えてください。")
    return redirect("provisions:detail", pk=pk)


@screen(None)
@require_POST
def decision_reject(request, pk):
    form = RejectProvisionForm(request.POST)
    form.is_valid()
    try:
        provision_decision_reject(actor=request.user, decision_id=pk, reason=request.POST.get("reason", ""))
    except (NotFound, Forbidden):
        raise  # the screen's 404 / 403
    except DomainError as exc:  # no reason, or already decided
        if exc.field:
            form.add_error(exc.field, exc.message)
            form.fields["reason"].widget.attrs.update({"aria-describedby": "error-reason", "aria-invalid": "true"})
        decision = provision_decision_get(actor=request.user, decision_id=pk)
        return _detail_page(request, decision, status=400, reject_form=form, error="" if exc.field else exc.message)
    messages.success(request, "却下しました。")
    return redirect("provisions:detail", pk=pk)


@screen(None)
@require_safe
def decision_slip(request, pk):
    return render(request, "victims/provisions/slip.html",
                  {"slip": provision_decision_slip(actor=request.user, decision_id=pk)})
