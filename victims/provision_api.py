"""API of manual-provision decisions (ADR 0036, 0037). Thin: parse, call, render."""
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsProvisionCaller
from audit.actions import AuditAction
from core.api_schema import ERROR_RESPONSES
from core.errors import ValidationFailed

from .models import ProvisionDecisionKind, ProvisionDecisionStatus, ProvisionDisclosure
from .provisions import (
    inquirer_notice,
    provision_decision_approve,
    provision_decision_reject,
    provision_decision_request,
    provision_decisions_for,
    record_notice,
)
from .serializers import RejectRequestSerializer


class ProvisionDecisionCreateSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="照会を受けた方の団体内統合宛名番号（自動応答不可の設定対象者）")
    inquirer = serializers.CharField(max_length=100, help_text="照会機関名")
    info_code = serializers.CharField(help_text="特定個人情報名コード（TM＋14桁の数字）")
    received_at = serializers.DateTimeField(help_text="照会の受付日時（時差のない値は日本時間）")
    decision = serializers.ChoiceField(choices=ProvisionDecisionKind.values,
                                       help_text="provide（提供）/ withhold（提供しない）")
    disclosure = serializers.ChoiceField(choices=ProvisionDisclosure.values,
                                         help_text="nondisclosure（不開示）のみ。手動での提供の記録は必ず不開示")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 help_text="判断の理由・確認した事項（照会者が本人か加害者かの確認など）")


class ProvisionDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    atena_no = serializers.CharField(source="target.atena_no")
    department = serializers.CharField(source="department.code", help_text="記録した所属（情報連携の窓口）")
    inquirer = serializers.CharField()
    info_code = serializers.CharField()
    received_at = serializers.DateTimeField()
    decision = serializers.ChoiceField(choices=ProvisionDecisionKind.values)
    decision_display = serializers.CharField(source="get_decision_display")
    disclosure = serializers.ChoiceField(choices=ProvisionDisclosure.values)
    disclosure_display = serializers.CharField(source="get_disclosure_display")
    note = serializers.CharField()
    status = serializers.ChoiceField(choices=ProvisionDecisionStatus.values)
    status_display = serializers.CharField(source="get_status_display")
    requested_by = serializers.CharField(source="requested_by.shown_name")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.shown_name", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    reject_reason = serializers.CharField()
    provision_record_notice = serializers.SerializerMethodField(
        help_text="承認済みの判断で、提供の記録に必要なこと（不開示とすること）。承認前は空")
    inquirer_notice = serializers.SerializerMethodField(
        help_text="承認済みの判断で、照会機関に伝えること（取扱いに注意を要すること）。承認前は空")

    def get_provision_record_notice(self, obj) -> str:
        return record_notice(obj)

    def get_inquirer_notice(self, obj) -> str:
        return inquirer_notice(obj)


_EXAMPLE = {
    "id": 7, "target_id": 42, "atena_no": "123456789012345", "department": "renkei",
    "inquirer": "○○市 子ども家庭課", "info_code": "TM00000000000003", "received_at": "2026-12-01T01:30:00Z",
    "decision": "provide", "decision_display": "提供する（手動で提供）", "disclosure": "nondisclosure",
    "disclosure_display": "不開示", "note": "照会者は加害者ではないことを確認", "status": "approved",
    "status_display": "承認済み", "requested_by": "連携　一子", "requested_at": "2026-12-01T02:00:00Z",
    "decided_by": "連携課長　二子", "decided_at": "2026-12-01T03:00:00Z", "reject_reason": "",
    "provision_record_notice": "提供の記録（情報提供等記録）は必ず「不開示」として入力してください。",
    "inquirer_notice": "照会機関に、提供する情報は取扱いに特に注意を要するものであることを伝えてください。",
}


def _body(decision) -> dict:
    return ProvisionDecisionSerializer(decision).data


class ProvisionDecisionsApi(APIView):
    permission_classes = [IsProvisionCaller]
    denied_audit_action = AuditAction.PROVISION_DECISION_LIST

    @extend_schema(
        operation_id="provision_decisions_list",
        summary="手動提供の判断の一覧（承認待ちが先）",
        description=("情報連携の窓口と監査担当はすべて、対象者を登録した所属は自所属の対象者の判断を表示します。"
                     "target を指定すると、その対象者の判断のみ（見えない対象者は404）。表示は監査記録されます。"),
        parameters=[OpenApiParameter("target", OpenApiTypes.INT, required=False, description="設定対象者の番号")],
        responses={200: ProvisionDecisionSerializer(many=True), **ERROR_RESPONSES},
        examples=[OpenApiExample("承認済み", response_only=True, value=[_EXAMPLE])],
    )
    def get(self, request):
        raw = request.query_params.get("target")
        if raw is not None and not raw.isdigit():
            raise ValidationFailed({"target": "target は設定対象者の番号（整数）で指定してください。"})
        decisions = provision_decisions_for(actor=request.user, target_id=raw, via="api")
        return Response(ProvisionDecisionSerializer(decisions, many=True).data)

    @extend_schema(
        operation_id="provision_decisions_create",
        summary="自動応答不可の照会に対する手動提供の判断を記録（情報連携の窓口の職員）",
        description=("承認待ち（pending）で記録され、窓口の所属長（記録者以外）が承認・却下します。"
                     "disclosure は nondisclosure（不開示）のみ受け付けます。"
                     "宛名番号が自動応答不可の設定対象者でない場合は、登録がない場合と同じ 400 です。"),
        request=ProvisionDecisionCreateSerializer,
        responses={201: ProvisionDecisionSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("記録", request_only=True, value={
                "atena_no": "123456789012345", "inquirer": "○○市 子ども家庭課", "info_code": "TM00000000000003",
                "received_at": "2026-12-01T10:30:00+09:00", "decision": "provide", "disclosure": "nondisclosure",
                "note": "照会者は加害者ではないことを確認"}),
            OpenApiExample("開示は選べません", response_only=True, status_codes=["400"], value={
                "detail": "入力内容に誤りがあります。", "errors": {"disclosure": [
                    "手動で提供する記録は「不開示」としてください。"]},
                "request_id": "7f0c2a9e4b1d4c3a8e6f5d2b1a0c9e8f"}),
        ],
    )
    def post(self, request):
        decision = provision_decision_request(actor=request.user, payload=request.data)
        return Response(_body(decision), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("api-provision-decisions") + f"?target={decision.target_id}"})


class ProvisionDecisionApproveApi(APIView):
    permission_classes = [IsProvisionCaller]
    parser_classes: list = []  # takes no body: whatever is sent is never parsed
    denied_audit_action = AuditAction.PROVISION_DECISION_APPROVE

    @extend_schema(
        operation_id="provision_decisions_approve",
        summary="手動提供の判断の承認（情報連携の窓口の所属長、記録者以外）",
        description="承認された判断は、提供の記録を不開示とすること、照会機関に取扱いの注意を伝えることを返します。",
        request=None,
        responses={200: ProvisionDecisionSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("承認済み", response_only=True, value=_EXAMPLE)],
    )
    def post(self, request, decision_id: int):
        return Response(_body(provision_decision_approve(actor=request.user, decision_id=decision_id)))


class ProvisionDecisionRejectApi(APIView):
    permission_classes = [IsProvisionCaller]
    denied_audit_action = AuditAction.PROVISION_DECISION_REJECT

    @extend_schema(
        operation_id="provision_decisions_reject",
        summary="手動提供の判断の却下（理由必須）",
        request=RejectRequestSerializer,
        responses={200: ProvisionDecisionSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("却下", request_only=True, value={"reason": "照会者の確認が不十分のため"})],
    )
    def post(self, request, decision_id: int):
        form = RejectRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decision = provision_decision_reject(actor=request.user, decision_id=decision_id,
                                             reason=form.validated_data["reason"])
        return Response(_body(decision))
