"""Change-request, release and inquiry-check endpoints of the JSON API. Thin."""
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_permissions import IsCheckCaller, IsVictimStaff
from config.api_schema import ERROR_RESPONSES
from victims.normalize import normalize_atena_no

from .selectors import inquiry_check
from .serializers import (
    ApproveRequestSerializer,
    ChangeRequestSerializer,
    InquiryCheckRequestSerializer,
    InquiryCheckResultSerializer,
    RejectRequestSerializer,
    ReleaseRequestCreateSerializer,
)
from .services import change_request_approve, change_request_reject, release_request_create


def _change_request_body(change_request) -> dict:
    return ChangeRequestSerializer(change_request).data


class ChangeRequestApproveApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="change_requests_approve",
        summary="申請の承認（申請者以外の、登録所属の所属長）",
        request=ApproveRequestSerializer,
        responses={200: ChangeRequestSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("承認結果", response_only=True, value={
            "id": 57, "target_id": 42, "action": "set", "status": "approved", "decided_at": "2025-06-01T01:00:00Z"})],
    )
    def post(self, request, change_request_id: int):
        form = ApproveRequestSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        change_request = change_request_approve(actor=request.user, change_request_id=change_request_id,
                                                comment=form.validated_data.get("comment", ""))
        return Response(_change_request_body(change_request))


class ChangeRequestRejectApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="change_requests_reject",
        summary="申請の却下（理由必須）",
        request=RejectRequestSerializer,
        responses={200: ChangeRequestSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("却下", request_only=True, value={"reason": "事実イの確認が不十分のため"})],
    )
    def post(self, request, change_request_id: int):
        form = RejectRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change_request = change_request_reject(actor=request.user, change_request_id=change_request_id,
                                               reason=form.validated_data["reason"])
        return Response(_change_request_body(change_request))


class ReleaseRequestCreateApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_release_requests_create",
        summary="解除の申請（住基DV等支援措置の対象者は解除不可）",
        request=ReleaseRequestCreateSerializer,
        responses={201: ChangeRequestSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("②-I 手続完了による解除", request_only=True, value={"reason": "2-I_complete", "cases": [88]}),
            OpenApiExample("支援措置中", response_only=True, status_codes=["400"], value={
                "detail": "住基DV等支援措置の対象者は解除できません（支援措置の対象者は必ず設定対象者とします）。",
                "errors": {"reason": ["住基DV等支援措置の対象者は解除できません（支援措置の対象者は必ず設定対象者とします）。"]}}),
        ],
    )
    def post(self, request, target_id: int):
        form = ReleaseRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change_request = release_request_create(
            actor=request.user, target_id=target_id, reason=form.validated_data["reason"],
            case_ids=form.validated_data.get("cases") or None, comment=form.validated_data.get("comment", ""),
        )
        return Response(_change_request_body(change_request), status=status.HTTP_201_CREATED)


class InquiryCheckApi(APIView):
    permission_classes = [IsCheckCaller]
    system_scopes = ("inquiry_check",)

    @extend_schema(
        operation_id="inquiry_checks_create",
        summary="照会時確認：不開示コードが必要か（理由は返さない）",
        request=InquiryCheckRequestSerializer,
        responses={200: InquiryCheckResultSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("照会", request_only=True, value={"atena_no": "123456789012345", "direction": "inquiry"}),
            OpenApiExample("要", response_only=True, value={"nondisclosure_code_required": True}),
        ],
    )
    def post(self, request):
        form = InquiryCheckRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        atena_no = normalize_atena_no(form.validated_data["atena_no"])
        required = inquiry_check(actor=request.user, atena_no=atena_no, direction=form.validated_data["direction"])
        return Response({"nondisclosure_code_required": required})
