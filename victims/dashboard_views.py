"""The dashboards and the annual report (ADR 0057, 0058). Thin: the modules count, policy
decides who sees what, the templates draw."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.screens import screen
from core.tabular import csv_response, xlsx_response
from intermediary import clock

from .annual_report import annual_report, latest_report_year, report_years
from .dashboard import JST, dashboard_for


@screen(None)
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/dashboard.html", dashboard_for(actor=request.user))  # type: ignore[arg-type]


def _year(request: HttpRequest, years: list[int]) -> int | None:
    raw = request.GET.get("year", "")
    if not raw:
        return years[0]
    return int(raw) if raw.isdigit() and int(raw) in years else None


def _report(request: HttpRequest, output: str):
    years = report_years(timezone.localdate(clock.now(), JST))
    year = _year(request, years)
    if year is None:
        return None, years
    return annual_report(actor=request.user, year=year, output=output), years  # type: ignore[arg-type]


@screen(None)
@require_safe
def annual_report_screen(request: HttpRequest) -> HttpResponse:
    report, years = _report(request, "screen")
    error = None if report is not None else "選べる年は一覧のとおりです。年を選び直してください。"
    return render(request, "dashboard/annual_report.html",
                  {"report": report, "years": years, "error": error,
                   "latest": latest_report_year(timezone.localdate(clock.now(), JST))},
                  status=200 if report is not None else 400)


@screen(None)
@require_safe
def annual_report_csv(request):
    report, years = _report(request, "csv")
    if report is None:
        return HttpResponse("年の指定が正しくありません。", status=400, content_type="text/plain; charset=utf-8")
    return csv_response(report.table(), f"annual-report-{report.year}-12-01.csv")


@screen(None)
@require_safe
def annual_report_xlsx(request):
    report, years = _report(request, "xlsx")
    if report is None:
        return HttpResponse("年の指定が正しくありません。", status=400, content_type="text/plain; charset=utf-8")
    return xlsx_response(report.table(), f"annual-report-{report.year}-12-01.xlsx")
