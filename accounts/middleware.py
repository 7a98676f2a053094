import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from core.api_errors import error_body
from core.signals import session_timed_out

from .two_factor import confirmed_device


class NoStoreMiddleware:
    """Victim data must never sit in a shared browser or proxy cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class ContentSecurityPolicyMiddleware:
    """Only our own scripts, styles and images; no inline script, no framing, no outside assets."""

    POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SessionTimeoutMiddleware:
    """Idle timeout (15 min) and absolute limit (12 h), enforced on the server.

    Must sit after AuthenticationMiddleware. Deactivated staff are logged out by Django
    itself: ModelBackend.get_user refuses inactive users on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only session logins: API tokens are authenticated later, by DRF, and have no session.
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault("auth_started_at", now)
            last = request.session.get("last_seen_at", now)
            if (now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS
                    or now - started > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS):
                session_timed_out.send(sender=SessionTimeoutMiddleware, request=request, user=request.user)
                logout(request)
                request.session["timed_out"] = True
            else:
                request.session["last_seen_at"] = now
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """A password alone opens nothing: until the session is OTP-verified, every page sends the
    user to enrolment or verification, and session-authenticated API calls get 403.

    Must sit after django_otp's OTPMiddleware (which adds user.is_verified)."""

    EXEMPT = {"accounts:otp_enrol", "accounts:otp_verify", "accounts:logout", "accounts:login"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(settings.STATIC_URL):
            match = _resolve(request.path_info)
            if match is None or match.view_name not in self.EXEMPT:
                if request.path.startswith("/api/"):
                    return JsonResponse(error_body(request, "2段階認証が完了していません。"), status=403)
                target = "accounts:otp_verify" if confirmed_device(user) else "accounts:otp_enrol"
                return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None
