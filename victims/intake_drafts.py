"""Intake input that survives a timeout (ADR 0049).

A long interview outlasts the 15 idle minutes; the clerk's 「確認へ進む」 then arrives on a
timed-out session. Before it is logged out (core.signals.session_timed_out), the posted input
is kept here for that clerk, and the intake screen offers it back after the next login."""
import datetime
import json

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import timezone

from core import policy
from core.policy import Capability
from core.sealing import seal, unseal
from core.signals import session_timed_out

from .models import IntakeDraft

_NOT_KEPT = {"csrfmiddlewaretoken", "step"}
# The HKDF purpose of the draft's key (core.sealing): no other sealed value shares it.
SEAL_PURPOSE = "victims.intake_draft"


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


def _keep_seconds() -> int:
    # As long as the longest session: a draft never outlives the absolute limit of a login.
    return settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS


def seal_fields(fields: dict[str, list[str]]) -> str:
    return seal(json.dumps(fields, ensure_ascii=False).encode(), purpose=SEAL_PURPOSE)


def intake_draft_keep(*, staff, fields: dict[str, list[str]]) -> IntakeDraft:
    now = timezone.now()
    until = now + datetime.timedelta(seconds=_keep_seconds())
    draft, _ = IntakeDraft.objects.update_or_create(staff=staff, defaults={
        "sealed": seal_fields(fields), "kept_at": now, "kept_until": until})
    return draft


def intake_drafts_purge() -> int:
    """Delete every draft past its limit (the periodic job, and each look-up): none outlives
    the absolute session limit even if its clerk never opens the intake screen again."""
    deleted, _ = IntakeDraft.objects.filter(kept_until__lte=timezone.now()).delete()
    return deleted


def intake_draft_fields(draft: IntakeDraft) -> dict[str, list[str]] | None:
    """The kept input, or None when it cannot be opened: sealed under a key no longer
    configured, altered, or older than the limit (the token's own time, a second guard
    besides kept_until)."""
    data = unseal(draft.sealed, purpose=SEAL_PURPOSE, max_age_seconds=_keep_seconds())
    if data is None:
        return None
    fields = json.loads(data)
    return fields if isinstance(fields, dict) else None


def intake_draft_for(*, staff) -> IntakeDraft | None:
    """The clerk's own kept input, if still within its limit and readable (an expired or
    unreadable one is deleted: it could never be offered back)."""
    intake_drafts_purge()
    draft = IntakeDraft.objects.filter(staff=staff).first()
    if draft is not None and intake_draft_fields(draft) is None:
        draft.delete()
        return None
    return draft


def intake_draft_discard(*, staff) -> None:
    IntakeDraft.objects.filter(staff=staff).delete()


def initial_from(draft: IntakeDraft, form_fields: dict) -> dict:
    """The kept values as a form's initial: lists for multi-value fields, one value otherwise."""
    initial: dict = {}
    kept = intake_draft_fields(draft) or {}
    for name, field in form_fields.items():
        values = kept.get(name)
        if not values:
            continue
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if multiple else values[0]
    return initial
