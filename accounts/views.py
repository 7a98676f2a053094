"""Login and logout. The per-role home page is config.views.home (it reads victims' lists)."""
from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView already refuses GET: a link cannot log anyone out."""
