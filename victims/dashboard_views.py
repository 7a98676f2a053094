"""The dashboards and the annual report (ADR 0057, 0058). Thin: the modules count, policy
decides who sees what, the templates draw."""
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.screens import screen
from core.tabular import table_response
from intermediary import clock

from .annual_report import COLUMNS, annual_report, report_years
from .dashboard import JST, dashboard_for


@screen(None)
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/dashboard.html", dashboard_for(actor=request.user))  # type: ignore[arg-type]


class ReportYearForm(forms.Form):
    year = forms.TypedChoiceField(
        label="報告の年（12月1日現在）", coerce=int,
        error_messages={"invalid_choice": "選べる年は一覧のとおりです。年を選び直してください。"})

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年12月1日現在") for y in years]  # type: ignore[attr-defined]


def _report(request: HttpRequest, output: str):
    years = report_years(timezone.localdate(clock.now(), JST))
    form = ReportYearForm(request.GET if "year" in request.GET else {"year": years[0]}, years=years)
    if not form.is_valid():
        return None, form
    return annual_report(actor=request.user, year=form.cleaned_data["year"], output=output), form  # type: ignore[arg-type]


@screen(None)
@require_safe
def annual_report_screen(request: HttpRequest) -> HttpResponse:
    report, form = _report(request, "screen")
    return render(request, "dashboard/annual_report.html",
                  {"report": report, "form": form, "headers": [c.header for c in COLUMNS],
                   "year_text": str(report.year) if report else ""},
                  status=200 if report is not None else 400)


@screen(None)
@require_safe
def annual_report_csv(request):
    return _report_file(request, "csv")


@screen(None)
@require_safe
def annual_report_xlsx(request):
    return _report_file(request, "xlsx")


def _report_file(request: HttpRequest, file_format: str):
    report, _form = _report(request, file_format)
    if report is None:
        return HttpResponse("年の指定が正しくありません。", status=400, content_type="text/plain; charset=utf-8")
    return table_response(report.table(), f"annual-report-{report.year}-12-01", file_format)
