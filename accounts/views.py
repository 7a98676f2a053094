"""Login, logout, the per-role home page, and the gate every screen passes through."""
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.models import Role
from config.errors import DomainError, Forbidden, NotFound
from flags.selectors import approval_queue, notices_for

VICTIM_ROLES = (Role.COUNTER, Role.APPROVER)


def screen(*roles: str, linkage: bool = False):
    """Login, then role (deny by default), then domain errors mapped to HTTP.

    Victim roles also need a department: a counter without one owns nothing.
    NotFound stays a 404 so a hidden target looks exactly like an absent one."""
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not roles or not user.has_role(*roles):
                raise PermissionDenied("この画面を利用する権限がありません。")
            if set(roles) <= set(VICTIM_ROLES) and not user.is_victim_staff:
                raise PermissionDenied("この画面を利用する権限がありません。")
            if linkage and not user.can_check:
                raise PermissionDenied("情報連携を行う所属の職員のみ利用できます。")
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404
            except Forbidden as exc:
                raise PermissionDenied(exc.message)
        return wrapped
    return decorator


def act(request, action, *, success: str, then: str):
    """A screen's POST action: run it, show its success or the rule that refused it, and go
    to `then` (a URL or URL name). NotFound and Forbidden stay errors, so `screen` answers
    404 / 403 exactly as for a read."""
    try:
        action()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(then)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView already refuses GET: a link cannot log anyone out."""


@screen(*Role.values)
@require_safe
def home(request):
    user = request.user
    context = {"role": user.role}
    if user.is_victim_staff:
        context["notices"] = list(notices_for(actor=user))
        if user.role == Role.APPROVER:
            context["queue_count"] = approval_queue(actor=user).count()
    return render(request, "accounts/home.html", context)
