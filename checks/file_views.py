"""Screens of the inquiry-file stamper and the manual-provision file check (linkage
departments, ADR 0044/0045), and of the layouts' confirmation (system administrators, ADR
0043). Thin: the services decide and audit. As on the bulk screens, the result file is handed
back inside the result page (a data: link): nothing of an upload, nor of its answer, is kept."""
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from audit.actions import AuditAction
from core.errors import DomainError
from core.policy import Capability
from core.screens import screen

from .file_layouts import KINDS, configured_layout
from .file_stamp import check_provision_file, max_file_bytes, stamp_inquiry_file, stamped_chunks
from .layout_confirmation import current_confirmation, layout_confirm
from .views import _data_link, _upload_run, _upload_screen


class InquiryFileForm(forms.Form):
    file = forms.FileField(
        label="照会依頼ファイル",
        help_text="団体内統合宛名の照会依頼ファイル（定義どおりの固定長）。不開示コードが必要な方の行だけ"
                  "照会側不開示コードを「不開示」にして、ほかは同じまま返します。",
        error_messages={"required": "ファイルを選択してください。"},
    )


class ProvisionFileForm(forms.Form):
    file = forms.FileField(
        label="手動提供（一時入力）ファイル",
        help_text="不開示該当フラグの方の行で開示区分が「開示」のものを「不開示」に直して返します。",
        error_messages={"required": "ファイルを選択してください。"},
    )
    refuse = forms.BooleanField(label="直さずに、ファイル全体を受け付けない（該当する行を表示）", required=False)


def _inquiry_file(request):
    form = InquiryFileForm(request.POST or None, request.FILES or None)
    context = {"form": form, "layout": configured_layout("inquiry_request")}

    def work(data):
        upload = data["file"]
        result = stamp_inquiry_file(actor=request.user, fileobj=upload)
        content = b"".join(stamped_chunks(result, upload))
        context.update(result=result, filename=f"stamped-{upload.name}",
                       download=_data_link(content, "application/octet-stream"))

    status = _upload_run(request, form, context, AuditAction.INQUIRY_FILE_STAMP, work)
    return render(request, "checks/inquiry_file_stamp.html", context, status=status)


def _provision_file(request):
    form = ProvisionFileForm(request.POST or None, request.FILES or None)
    context = {"form": form, "layout": configured_layout("manual_provision")}

    def work(data):
        upload = data["file"]
        result = check_provision_file(actor=request.user, fileobj=upload, refuse=data["refuse"])
        context.update(result=result, refused_mode=data["refuse"])
        if not data["refuse"]:
            content = b"".join(stamped_chunks(result, upload))
            context.update(filename=f"checked-{upload.name}", download=_data_link(content, "application/octet-stream"))

    status = _upload_run(request, form, context, AuditAction.PROVISION_FILE_CHECK, work)
    return render(request, "checks/provision_file_check.html", context, status=status)


inquiry_file_stamp = _upload_screen(
    screen(Capability.CHECK)(_inquiry_file), "checks/inquiry_file_stamp.html", InquiryFileForm, max_file_bytes)
provision_file_check = _upload_screen(
    screen(Capability.CHECK)(_provision_file), "checks/provision_file_check.html", ProvisionFileForm, max_file_bytes)


class ConfirmLayoutForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], widget=forms.HiddenInput)
    sha256 = forms.CharField(widget=forms.HiddenInput)
    understood = forms.BooleanField(
        label="表示された不開示・開示の値が、業務システムの仕様のとおりであることを確認しました",
        error_messages={"required": "値を確認したうえで、チェックを入れてください。"})


@screen(Capability.OPERATE_SYNC)
def file_layouts(request):
    """The configured layouts, their code values and who confirmed them; POST confirms one.
    The hash the page showed travels with the form: a definition changed meanwhile is not
    confirmed unseen."""
    layouts = []
    errors = []
    for kind in KINDS:
        try:
            layout = configured_layout(kind)
        except DomainError as exc:
            errors.append(exc.message)
            continue
        layouts.append({"layout": layout, "confirmation": current_confirmation(layout),
                        "form": ConfirmLayoutForm(initial={"kind": kind, "sha256": layout.sha256},
                                                  auto_id=f"{kind}-%s")})
    status = 200
    if request.method == "POST":
        form = ConfirmLayoutForm(request.POST, auto_id=f"{request.POST.get('kind', 'x')}-%s")
        if form.is_valid():
            layout = configured_layout(form.cleaned_data["kind"])
            if layout.sha256 != form.cleaned_data["sha256"]:
                messages.error(request, "表示後に定義ファイルが変更されました。表示し直して、値を確認してください。")
            else:
                layout_confirm(actor=request.user, layout=layout)
                messages.success(request, f"{layout.title} のコード値の確認を記録しました。")
            return redirect("checks:file_layouts")
        status = 400
        for entry in layouts:
            if entry["layout"].kind == request.POST.get("kind"):
                entry["form"] = form
    return render(request, "checks/file_layouts.html", {"layouts": layouts, "errors": errors}, status=status)
