"""The system administrators' staff list and the display name printed on 決裁票 (ADR 0028)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from core.errors import DomainError, NotFound
from core.policy import Capability
from core.screens import screen

from . import selectors, services


@screen(Capability.OPERATE_SYNC)
@require_safe
def staff_list(request):
    return render(request, "accounts/staff_list.html", {"staff": selectors.staff_overview(actor=request.user)})


@screen(Capability.OPERATE_SYNC)
@require_http_methods(["GET", "HEAD", "POST"])
def display_name(request, pk: int):
    member = selectors.staff_overview(actor=request.user).filter(pk=pk).first()
    if member is None:
        raise NotFound("職員が見つかりません。")
    value, error, status = member.display_name, "", 200
    if request.method == "POST":
        value = request.POST.get("display_name", "")
        try:
            services.staff_display_name_set(actor=request.user, staff_id=member.pk, display_name=value)
        except NotFound:
            raise
        except DomainError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, f"{member.username} の表示名を変更しました。")
            return redirect("accounts:staff")
    return render(request, "accounts/staff_display_name.html",
                  {"member": member, "value": value, "error": error, "max_length": services.DISPLAY_NAME_MAX},
                  status=status)
