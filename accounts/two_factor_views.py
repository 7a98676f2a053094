from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, NotFound
from core.policy import Capability
from core.screens import screen

from . import two_factor


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    if two_factor.confirmed_device(request.user) is not None:
        return redirect("accounts:otp_verify")
    error = None
    if request.method == "POST":
        try:
            two_factor.totp_confirm_enrolment(request=request, token=request.POST.get("token", ""))
            messages.success(request, "2段階認証を登録しました。")
            return redirect("home")
        except DomainError as exc:
            error = exc.message
    device = two_factor.enrolment_device(user=request.user)
    return render(request, "accounts/otp_enrol.html", {
        "qr": two_factor.enrolment_qr_data_uri(device), "manual_key": two_factor.manual_key(device), "error": error,
    }, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    if two_factor.confirmed_device(request.user) is None:
        return redirect("accounts:otp_enrol")
    error = None
    if request.method == "POST":
        try:
            two_factor.totp_verify(request=request, token=request.POST.get("token", ""))
            return redirect(request.GET.get("next") if _safe_next(request) else "home")
        except DomainError as exc:
            error = exc.message
    return render(request, "accounts/otp_verify.html", {"error": error}, status=400 if error else 200)


def _safe_next(request) -> bool:
    nxt = request.GET.get("next")
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


@require_http_methods(["GET", "POST"])
@screen(Capability.OPERATE_SYNC)
def reset(request):
    error = None
    if request.method == "POST":
        try:
            two_factor.totp_reset(actor=request.user, username=request.POST.get("username", "").strip())
            messages.success(request, "2段階認証をリセットしました。この職員のAPIトークンも失効させました。"
                                      "次回ログイン時に再登録が必要です。")
            return redirect("accounts:otp_reset")
        except (DomainError, NotFound) as exc:
            error = exc.message
    return render(request, "accounts/otp_reset.html", {"error": error}, status=400 if error else 200)
