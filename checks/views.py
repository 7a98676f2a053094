"""Screens of the inquiry-time checks (single and bulk) and the お知らせ recipient-file filter. Thin.

The result file is handed back inside the result page (a data: link) so that nothing of an
upload, nor of its answer, is stored on the server."""
import base64

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from audit.actions import AuditAction
from core.body_cap import own_body_cap
from core.errors import DomainError, ValidationFailed
from core.policy import Capability
from core.screens import screen
from core.tabular import XLSX_CONTENT_TYPE
from core.uploads import (
    PayloadTooLarge,
    max_recipient_file_bytes,
    max_upload_bytes,
    refuse_oversize,
    refuse_stopped_upload,
)

from .bulk import bulk_input_from_file, bulk_inquiry_check, render_csv, render_xlsx
from .forms import DIRECTIONS, InquiryCheckForm, direction_field
from .jobs import bulk_job
from .recipient_filter import recipient_filter
from .selectors import inquiry_check


class BulkCheckForm(forms.Form):
    file = forms.FileField(
        label="宛名番号のファイル（CSV/TXT）",
        help_text="1列目が団体内統合宛名番号。見出し行は任意。UTF-8（BOM有無）または Shift_JIS。最大100万件。",
        error_messages={"required": "ファイルを選択してください。"},
    )
    direction = direction_field()


class RecipientFileForm(forms.Form):
    file = forms.FileField(
        label="お知らせ宛先ファイル",
        help_text="1列目が団体内統合宛名番号。同じ形式・文字コード・順序で、除外後のファイルを返します。",
        error_messages={"required": "ファイルを選択してください。"},
    )


def _data_link(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def _field_errors(form, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        for key, message in list(exc.errors.items())[:50]:
            text = message if key == "file" else f"{key.replace('file:', '')}行目：{message}"
            form.add_error("file" if key.startswith("file") else None, text)
    else:
        form.add_error("file" if exc.field in ("file", "atena_nos") else None, exc.message)


def _upload_screen(inner, template: str, form_class, limit):
    """Cap the upload before anything (the CSRF check included) parses the body."""
    protected = csrf_protect(inner)

    @own_body_cap
    @csrf_exempt
    def view(request, *args, **kwargs):
        if request.method == "POST":
            try:
                refuse_oversize(request, limit())
            except DomainError as exc:
                return render(request, template, {"form": form_class(), "page_error": exc.message}, status=413)
        return protected(request, *args, **kwargs)

    return view


@screen(Capability.CHECK)
def check(request):
    """Yes or no, never why: the reason (victim, abuser, which case) is not this department's to know.
    POST, so the atena_no never lands in a URL, the browser history or an access log."""
    form = InquiryCheckForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        answer = inquiry_check(
            actor=request.user, atena_no=form.cleaned_data["atena_no"], direction=form.cleaned_data["direction"]
        )
    return render(
        request,
        "checks/check.html",
        {
            "form": form,
            "answer": answer,
            "direction_label": dict(DIRECTIONS).get(form.data.get("direction")),
        },
        status=400 if form.errors else 200,
    )


def _upload_run(request, form, context: dict, action: AuditAction, work) -> int:
    """The status of an upload screen's POST: the cap that stopped the upload while it
    streamed in (413, shown above an empty form: the file never arrived whole), the form,
    then `work` under one of the caller's job slots (429 when they are taken); any other
    refusal is shown on the form."""
    if request.method != "POST":
        return 200
    try:
        refuse_stopped_upload(request)
    except PayloadTooLarge as exc:
        context.update(form=type(form)(), page_error=exc.message)
        return exc.status
    try:
        if not form.is_valid():
            return 400 if form.errors else 200  # an empty POST shows the form (ADR 0007)
        with bulk_job(request.user, action=action):
            work(form.cleaned_data)
    except DomainError as exc:
        _field_errors(form, exc)
        return exc.status
    return 200


def _bulk_check(request):
    form = BulkCheckForm(request.POST or None, request.FILES or None)
    context = {"form": form}

    def work(data):
        # A clerk's file: bad lines are reported by number and the rest is checked (ADR 0050).
        bulk = bulk_input_from_file(data["file"], refuse_malformed=False)
        result = bulk_inquiry_check(actor=request.user, bulk=bulk, direction=data["direction"])
        context.update(
            result=result,
            duplicates=bulk.report,
            download=_data_link(render_csv(result, for_excel=True), "text/csv"),
            # xlsx takes ~10x the CSV's time (bench/xlsx_export.py): made in the same response only
            # up to a limit, so a million-line check still answers in seconds (ADR 0059).
            download_xlsx=(_data_link(render_xlsx(result), XLSX_CONTENT_TYPE)
                           if len(result.numbers) <= settings.BULK_SCREEN_XLSX_MAX_ROWS else None),
            xlsx_max_rows=settings.BULK_SCREEN_XLSX_MAX_ROWS,
            direction_label=dict(DIRECTIONS)[result.direction],
        )

    status = _upload_run(request, form, context, AuditAction.INQUIRY_BULK_CHECK, work)
    return render(request, "checks/bulk_check.html", context, status=status)


def _recipient_filter(request):
    form = RecipientFileForm(request.POST or None, request.FILES or None)
    context = {"form": form}

    def work(data):
        upload = data["file"]
        result = recipient_filter(actor=request.user, fileobj=upload)
        context.update(
            result=result,
            report=result.report,
            filename=f"filtered-{upload.name}",
            download=_data_link(b"".join(result.content), "application/octet-stream"),
        )

    status = _upload_run(request, form, context, AuditAction.RECIPIENT_FILTER_RUN, work)
    return render(request, "checks/recipient_filter.html", context, status=status)


bulk_check = _upload_screen(
    screen(Capability.CHECK)(_bulk_check), "checks/bulk_check.html", BulkCheckForm, max_upload_bytes
)
recipient_file = _upload_screen(
    screen(Capability.CHECK)(_recipient_filter), "checks/recipient_filter.html", RecipientFileForm,
    max_recipient_file_bytes,
)
