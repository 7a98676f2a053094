"""Intake input that survives a timeout (ADR 0049).

A long interview outlasts the 15 idle minutes; the clerk's 「確認へ進む」 then arrives on a
timed-out session. Before it is logged out (core.signals.session_timed_out), the posted input
is kept here for that clerk, and the intake screen offers it back after the next login."""
import datetime

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import timezone

from core import policy
from core.policy import Capability
from core.signals import session_timed_out

from .models import IntakeDraft

_NOT_KEPT = {"csrfmiddlewaretoken", "step"}


@receiver(session_timed_out)
def keep_intake_input(sender, request, user, **kwargs) -> None:
    if request.method != "POST" or not _is_intake(request.path_info):
        return
    if not policy.allows(user, Capability.HANDLE_VICTIMS):
        return
    # The CSRF check runs only when the view would: here it must pass before anything is kept,
    # or another site could plant an "input" for a clerk to restore.
    if _csrf_refusal(request) is not None:
        return
    intake_draft_keep(staff=user, fields={k: request.POST.getlist(k) for k in request.POST if k not in _NOT_KEPT})


def _csrf_refusal(request) -> HttpResponseBase | None:
    def unused(r: HttpRequest) -> HttpResponse:
        return HttpResponse()
    return CsrfViewMiddleware(unused).process_view(request, unused, (), {})


def _is_intake(path: str) -> bool:
    try:
        return resolve(path).view_name == "victims:intake"
    except Resolver404:
        return False


def intake_draft_keep(*, staff, fields: dict[str, list[str]]) -> IntakeDraft:
    now = timezone.now()
    # As long as the longest session: a draft never outlives the absolute limit of a login.
    until = now + datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS)
    draft, _ = IntakeDraft.objects.update_or_create(staff=staff, defaults={"fields": fields, "kept_at": now,
                                                                          "kept_until": until})
    return draft


def intake_draft_for(*, staff) -> IntakeDraft | None:
    """The clerk's own kept input, if still within its limit (an expired one is deleted)."""
    IntakeDraft.objects.filter(kept_until__lte=timezone.now()).delete()
    return IntakeDraft.objects.filter(staff=staff).first()


def intake_draft_discard(*, staff) -> None:
    IntakeDraft.objects.filter(staff=staff).delete()


def initial_from(draft: IntakeDraft, form_fields: dict) -> dict:
    """The kept values as a form's initial: lists for multi-value fields, one value otherwise."""
    initial = {}
    for name, field in form_fields.items():
        values = draft.fields.get(name)
        if not values:
            continue
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if multiple else values[0]
    return initial
