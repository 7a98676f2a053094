"""Auditors' workbench. Thin: forms in, selectors out; every page view is audited by its selector."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from config.errors import DomainError
from victims.normalize import normalize_atena_no
from victims.selectors import target_id_for_auditor

from . import csv_export, selectors
from .forms import EventFilterForm, PeriodForm, WhoHasSeenForm
from .models import AuditAnchor, VerificationRun
from .services import verification_run

PAGE_SIZE = 50


def auditor_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(Role.AUDITOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapped


def _filter_from(form: EventFilterForm) -> selectors.EventFilter:
    d = form.cleaned_data
    return selectors.EventFilter(start=d["start"], end=d["end"], actor=d["actor"], department=d["department"],
                                 action=d["action"], target_id=d["target_id"], outcome=d["outcome"])


@require_GET
@auditor_required
def home(request):
    return render(request, "audit/home.html", {
        "last_run": VerificationRun.objects.first(),
        "last_anchor": AuditAnchor.objects.first(),
    })


@require_GET
@auditor_required
def events(request):
    form = EventFilterForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        qs = selectors.event_search(actor=request.user, flt=_filter_from(form))
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/events.html", {"form": form, "page": page, "query": query.urlencode()})


@require_GET
@auditor_required
def export_csv(request):
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/events.html", {"form": form, "page": None}, status=400)
    qs, _count = selectors.event_export(actor=request.user, flt=_filter_from(form))
    response = StreamingHttpResponse(csv_export.rows(qs.iterator(chunk_size=2000)),
                                     content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit_events_{stamp}.csv"'
    return response


@require_GET
@auditor_required
def who_has_seen(request):
    form = WhoHasSeenForm(request.GET or None)
    events, target_id = None, None
    if form.is_bound and form.is_valid():
        target_id = form.cleaned_data.get("target_id")
        if not target_id:
            try:
                target_id = target_id_for_auditor(actor=request.user,
                                                  atena_no=normalize_atena_no(form.cleaned_data["atena_no"]))
            except DomainError as exc:
                form.add_error("atena_no", exc.message)
        if target_id:
            events = selectors.who_has_seen(actor=request.user, target_id=target_id)
        elif not form.errors:
            form.add_error("atena_no", "該当する対象者がいません。")
    return render(request, "audit/who_has_seen.html", {"form": form, "events": events, "target_id": target_id})


@require_GET
@auditor_required
def anomalies(request):
    form = PeriodForm(request.GET or {})
    result = None
    if form.is_valid():
        result = selectors.anomalies(actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    return render(request, "audit/anomalies.html", {"form": form, "result": result})


@require_GET
@auditor_required
def anchors(request):
    return render(request, "audit/anchors.html", {"anchors": AuditAnchor.objects.all()[:400],
                                                  "runs": VerificationRun.objects.all()[:20]})


@require_POST
@auditor_required
def verify_now(request):
    verification_run(actor=request.user)
    return redirect("audit:anchors")
