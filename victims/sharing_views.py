"""Screens of a case shared between departments: the transfer of ownership (ADR 0034) and
the 決裁票 of a grant or revoke (GrantRecord). Thin: services and selectors do the work."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Department
from core import policy
from core.errors import DomainError, Forbidden, NotFound
from core.policy import Capability
from core.screens import screen

from .forms import TransferForm
from .grant_slips import grant_record_slip
from .selectors import target_get_for_user
from .transfers import transfer_request_create


def _receivers(target):
    return Department.objects.exclude(pk=target.owning_department_id).order_by("code")


@screen(Capability.HANDLE_VICTIMS)
@require_http_methods(["GET", "HEAD", "POST"])
def transfer(request, pk):
    """所管の移管の申請: the receiving department's head decides it from its approval queue."""
    target = target_get_for_user(actor=request.user, target_id=pk)
    form = TransferForm(request.POST or None, departments=_receivers(target))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                transfer_request_create(actor=request.user, target_id=target.pk,
                                        department_code=form.cleaned_data["department"],
                                        reason=form.cleaned_data["reason"])
            except (NotFound, Forbidden):
                raise  # audited; `screen` answers 404 / 403
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "所管の移管を申請しました。移管先の所属長が承認すると所管が移ります。")
                return redirect("victims:detail", pk=target.pk)
    return render(request, "victims/transfer.html", {
        "target": target, "form": form.describe_errors(),
        "may_ask": policy.owns(request.user, owning_department_id=target.owning_department_id),
    }, status=status)


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def grant_slip(request, pk):
    """The printable 決裁票 of a grant or revoke: the owning department only; else 404."""
    return render(request, "victims/grant_slip.html", {"slip": grant_record_slip(actor=request.user, record_id=pk)})
