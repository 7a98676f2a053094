from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core.signals import screen_refused

from .actions import AuditAction
from .models import Outcome
from .services import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditAction.AUTH_LOGIN)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditAction.AUTH_LOGOUT)


@receiver(screen_refused)
def _screen_refused(sender, request, view, **kwargs):
    # Ids only: the view's name, the method and the URL's numeric arguments (e.g. a target id).
    numbers = {k: v for k, v in (getattr(request.resolver_match, "kwargs", None) or {}).items() if isinstance(v, int)}
    audit_record(actor=request.user, action=AuditAction.SCREEN_DENIED, outcome=Outcome.DENIED,
                 detail={"view": view, "method": request.method, "args": numbers})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept (staff id, not victim data); the password never is.
    # An attempt refused by the account's wait (accounts.login_delay sets the attribute) tried no
    # password: it is marked so that it does not count as a failure.
    delayed = getattr(request, "login_delayed_until", None) is not None
    audit_record(actor=None, action=AuditAction.AUTH_LOGIN_FAILED, outcome=Outcome.DENIED,
                 username=str(credentials.get("username", ""))[:150], detail={"delayed": True} if delayed else None)
