from django.urls import path

from . import api_token_views, session_views, staff_views, two_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("2fa/enrol/", two_factor_views.enrol, name="otp_enrol"),
    path("2fa/verify/", two_factor_views.verify, name="otp_verify"),
    path("2fa/reset/", two_factor_views.reset, name="otp_reset"),
    path("api-tokens/", api_token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_token_views.api_token_revoke, name="api_token_revoke"),
    path("session/keepalive/", session_views.session_keepalive, name="session_keepalive"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/<int:pk>/display-name/", staff_views.display_name, name="staff_display_name"),
]
