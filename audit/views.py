"""Auditors' workbench. Thin: forms in, selectors out; every page view is audited by its selector."""
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.policy import Capability
from core.screens import screen
from core.tabular import table_response

from . import csv_export, selectors
from .actor_names import with_display_names
from .forms import EventFilterForm, PeriodForm
from .models import AuditAnchor, VerificationRun
from .services import verification_run
from .sinks import SinkWriteFailed
from .verify import INCREMENTAL


def _filter_from(form: EventFilterForm) -> selectors.EventFilter:
    d = form.cleaned_data
    return selectors.EventFilter(start=d["start"], end=d["end"], actor=d["actor"], department=d["department"],
                                 action=d["action"], target_id=d["target_id"], outcome=d["outcome"])


@require_GET
@screen(Capability.AUDIT)
def home(request):
    return render(request, "audit/home.html", {
        "last_run": VerificationRun.objects.first(),
        "last_anchor": AuditAnchor.objects.first(),
        "bulk_quota_alerts": selectors.bulk_quota_alert_count(actor=request.user),
    })


def _event_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
@screen(Capability.AUDIT)
def events(request):
    form = EventFilterForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        # Keyset pages (ADR 0069): ?before=<id> the older page, ?after=<id> the newer one.
        page = selectors.event_search(actor=request.user, flt=_filter_from(form),
                                      before=_event_id(request.GET.get("before")),
                                      after=_event_id(request.GET.get("after")))
        page.events = with_display_names(page.events)
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    return render(request, "audit/events.html", {"form": form, "page": page, "query": query.urlencode()})


@require_GET
@screen(Capability.AUDIT)
def export_csv(request):
    return _export(request, "csv")


@require_GET
@screen(Capability.AUDIT)
def export_xlsx(request):
    """The same export as the CSV, as an Excel workbook (ids and codes as text cells)."""
    return _export(request, "xlsx")


def _export(request, file_format: str):
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/events.html", {"form": form, "page": None}, status=400)
    qs, _count = selectors.event_export(actor=request.user, flt=_filter_from(form), file_format=file_format)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    return table_response(csv_export.events_table(qs), f"audit_events_{stamp}", file_format)


@require_GET
@screen(Capability.AUDIT)
def anomalies(request):
    form = PeriodForm(request.GET or {})
    result = None
    if form.is_valid():
        result = selectors.anomalies(actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        for rows in (result.off_hours, result.heavy_readers, result.denied, result.failed_logins,
                     result.wide_searchers, result.bulk_quota_refusals, result.duplicate_registrations):
            with_display_names(rows)  # in place: the rows are shown with 「表示名（ユーザー名）」
    cfg = settings.AUDIT_ANOMALY
    spray = {"window": cfg["spray_window_minutes"], "max_tries": cfg["spray_max_tries_per_account"],
             "per_source": cfg["spray_min_accounts_per_source"], "overall": cfg["spray_min_accounts_overall"]}
    return render(request, "audit/anomalies.html", {"form": form, "result": result, "spray": spray})


@require_GET
@screen(Capability.AUDIT)
def anchors(request):
    return render(request, "audit/anchors.html", {"anchors": AuditAnchor.objects.all()[:400],
                                                  "runs": VerificationRun.objects.all()[:20]})


@require_POST
@screen(Capability.AUDIT)
def verify_now(request):
    try:
        # Bounded (ADR 0068): a full walk of years of events is the audit_verify command's.
        verification_run(actor=request.user, mode=INCREMENTAL)
    except SinkWriteFailed:
        # The result is on the screen (it is in the database); the missing copy outside it is audited.
        messages.error(request, "検証結果をデータベース外の記録（追記専用ファイル）に書き込めませんでした。"
                                "システム管理者に連絡してください。")
    return redirect("audit:anchors")
