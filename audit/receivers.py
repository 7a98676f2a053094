from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept (staff id, not victim data); the password never is.
    audit_record(actor=None, action=AuditAction.AUTH_LOGIN_FAILED, outcome=Outcome.DENIED,
                 username=str(credentials.get("username", ""))[:150])
