"""Login and logout. The per-role home page is config.views.home (it reads victims' lists)."""
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.utils import timezone

from .login_delay import DELAYED_UNTIL_ATTR


class LoginForm(auth_forms.AuthenticationForm):
    def get_invalid_login_error(self):
        until = getattr(self.request, DELAYED_UNTIL_ATTR, None)
        if until is None:
            return super().get_invalid_login_error()
        minutes = max(1, -(-int((until - timezone.now()).total_seconds()) // 60))  # rounded up
        return ValidationError(
            f"ログインの失敗が続いたため、このユーザー名でのログインを一時的に停止しています。"
            f"{timezone.localtime(until):%H:%M} 以降（約{minutes}分後）に再度お試しください。"
            "心当たりがない場合はシステム管理者に連絡してください。",
            code="delayed",
        )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(self.request, DELAYED_UNTIL_ATTR, None) is not None:
            response.status_code = 429  # as axes' own lockout answers
        return response


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView already refuses GET: a link cannot log anyone out."""
