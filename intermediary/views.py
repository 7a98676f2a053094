"""Sync monitor for system admins. Thin: selectors read, services write; every view passes
the shared `screen` gate (login, then role, deny by default)."""
import uuid

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.policy import Capability
from core.screens import act, screen

from . import corrections, selectors, services
from .models import AlertKind, FlagKind, OperationAction

MONITOR_REFRESH_SECONDS = 30  # often enough to see a failure within a minute, rare enough to read


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def _act(request, fn, ok_message: str):
    return act(request, fn, success=ok_message, then="intermediary:monitor")


@require_GET
@screen(Capability.OPERATE_SYNC)
def monitor(request):
    context = selectors.monitor_overview(actor=request.user)
    context["corrections"] = corrections.corrections_open(actor=request.user)
    context.update(flag_kinds=FlagKind.choices, actions=OperationAction.choices, mismatch=AlertKind.MISMATCH,
                   refresh_seconds=MONITOR_REFRESH_SECONDS)
    return render(request, "intermediary/monitor.html", context)


@require_GET
@screen(Capability.OPERATE_SYNC)
def batch(request, pk):
    batch, ops = selectors.batch_detail(actor=request.user, batch_id=_uuid(pk))
    return render(request, "intermediary/batch.html", {"batch": batch, "operations": ops})


@require_POST
@screen(Capability.OPERATE_SYNC)
def operation_retry(request, pk):
    return _act(request, lambda: services.operation_retry(actor=request.user, operation_id=_uuid(pk)),
                "再送を予約しました。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def alert_resend(request, pk):
    return _act(request, lambda: services.alert_resend(actor=request.user, alert_id=pk), "再送を予約しました。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def alert_resolve(request, pk):
    return _act(request, lambda: services.alert_resolve(actor=request.user, alert_id=pk), "対応済みにしました。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def info_code_request_create(request):
    p = request.POST
    return _act(request, lambda: services.info_code_request_create(
        actor=request.user, info_code=p.get("info_code", ""), flag_kind=p.get("flag_kind", ""),
        action=p.get("action", ""), reason=p.get("reason", "")),
        "申請しました。別のシステム管理者の承認を待っています。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def info_code_request_approve(request, pk):
    return _act(request, lambda: services.info_code_request_approve(actor=request.user, request_id=pk),
                "承認しました。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def info_code_request_reject(request, pk):
    return _act(request, lambda: services.info_code_request_reject(
        actor=request.user, request_id=pk, reason=request.POST.get("reason", "")), "却下しました。")


@require_POST
@screen(Capability.OPERATE_SYNC)
def correction_complete(request, pk):
    return _act(request, lambda: corrections.correction_complete(
        actor=request.user, correction_id=pk, reference=request.POST.get("reference", "")),
        "不開示追記を完了として記録しました。依頼した所属の画面に表示されます。")
