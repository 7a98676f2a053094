"""住民記録 system push and the review tasks it raises. Thin."""
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsVictimStaff, SystemClientOnly
from core.api_schema import ERROR_RESPONSES, UPLOAD_ERROR_RESPONSES
from core.uploads import StreamingJSONParser, refuse_oversize
from victims.selectors import review_tasks_for
from victims.services import jumin_support_apply, review_task_close, review_task_grant

from .jumin import parse_jumin_push
from .serializers import (
    JuminPushRequestSerializer,
    JuminPushResponseSerializer,
    ReviewTaskCloseSerializer,
    ReviewTaskSerializer,
)


class JuminSupportPushApi(APIView):
    permission_classes = [SystemClientOnly]
    parser_classes = [StreamingJSONParser]  # 10,000 items exceed Django's 2.5 MB form-body cap
    system_scopes = ("jumin_push",)
    max_body_bytes = 16 * 1024 * 1024
    own_body_cap = True  # core.body_cap: max_body_bytes, checked in initial()

    def initial(self, request, *args, **kwargs):
        refuse_oversize(request, self.max_body_bytes)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="jumin_support_measures_push",
        summary="住基DV等支援措置の開始・延長・終了（住民記録システムから）",
        description=(
            "支援措置の対象者は必ず設定対象者になります（新規は承認待ちの設定申請と確認事項を作成）。"
            "終了は何も解除せず、登録所属に確認事項（ReviewTask）を作成します。"
            "システムクライアント（scope: jumin_push）のみ呼び出せます。全件検証のうえ、全件適用か全件不適用です。"
        ),
        request=JuminPushRequestSerializer,
        responses={200: JuminPushResponseSerializer, **UPLOAD_ERROR_RESPONSES},
        examples=[
            OpenApiExample("開始・終了", request_only=True, value={"measures": [
                {"atena_no": "123456789012345", "event": "start", "start": "2025-04-01", "end": "2026-03-31",
                 "name": "山田　花子", "name_kana": "ヤマダ　ハナコ", "birth_date": "1990-04-01"},
                {"atena_no": "223456789012345", "event": "end", "end": "2025-05-31"}]}),
            OpenApiExample("結果", response_only=True, value={"results": [
                {"atena_no": "123456789012345", "event": "start", "result": "created"},
                {"atena_no": "223456789012345", "event": "end", "result": "review_task_created"}]}),
        ],
    )
    def post(self, request):
        items = parse_jumin_push(request.data)
        return Response({"results": jumin_support_apply(actor=request.user, items=items)})


class ReviewTaskListApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(operation_id="review_tasks_list", summary="自所属の確認事項（住基連携などから発生）",
                   responses={200: ReviewTaskSerializer(many=True), **ERROR_RESPONSES},
                   examples=[OpenApiExample("支援措置の終了", response_only=True, value=[{
                       "id": 5, "target_id": 42, "kind": "jumin_ended",
                       "kind_display": "住基支援措置が終了：設定継続か解除かの検討", "status": "open",
                       "created_at": "2025-04-01T00:00:00Z", "closed_at": None}])])
    def get(self, request):
        return Response(ReviewTaskSerializer(review_tasks_for(actor=request.user), many=True).data)


class ReviewTaskCloseApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(operation_id="review_tasks_close", summary="確認事項を対応済みにする",
                   request=ReviewTaskCloseSerializer, responses={200: ReviewTaskSerializer, **ERROR_RESPONSES},
                   examples=[OpenApiExample("継続と判断", request_only=True,
                                            value={"note": "本人と面談し設定継続を確認"})])
    def post(self, request, task_id: int):
        form = ReviewTaskCloseSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        task = review_task_close(actor=request.user, task_id=task_id, note=form.validated_data.get("note", ""))
        return Response(ReviewTaskSerializer(task).data)


class ReviewTaskGrantApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(operation_id="review_tasks_grant",
                   summary="「他の所属もこの方を支援しています」：申出をした所属に閲覧を許可し、対応済みにする",
                   description="所属長のみ。許可と対応済みは一つの処理で行われ、仮の保護はこの時点で終わります。",
                   request=None, responses={200: ReviewTaskSerializer, **ERROR_RESPONSES},
                   examples=[OpenApiExample("許可して対応済み", response_only=True, value={
                       "id": 6, "target_id": 42, "kind": "also_supported",
                       "kind_display": "他の所属もこの方を支援しています：閲覧の許可または連携の調整", "status": "done",
                       "created_at": "2025-06-01T00:00:00Z", "closed_at": "2025-06-02T00:00:00Z"})])
    def post(self, request, task_id: int):
        request.data  # noqa: B018 - parse any body, so a hostile one is the one 400 before any work
        return Response(ReviewTaskSerializer(review_task_grant(actor=request.user, task_id=task_id)).data)
