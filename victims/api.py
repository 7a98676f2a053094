"""Target endpoints of the JSON API. Thin: parse, call a service or selector, render."""
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsCheckCaller, IsVictimStaff
from audit.actions import AuditAction
from core.api_schema import ERROR_RESPONSES
from core.errors import ValidationFailed
from core.normalize import parse_date
from intermediary.selectors import flag_states_for_unit

from .onward import onward_request_confirm, onward_request_issue, onward_requests_for
from .reminders import reminders_for
from .selectors import (
    NOTICE_PAGE_SIZE,
    amendment_history_for_user,
    notices_page,
    registration_get_for_user,
    target_get_for_user,
    target_granted_departments,
)
from .serializers import (
    AmendmentCreatedSerializer,
    AmendmentRequestSerializer,
    AmendmentSerializer,
    ApproveRequestSerializer,
    CaseConfirmationRequestSerializer,
    CaseConfirmationSerializer,
    ChangeRequestSerializer,
    GrantRequestSerializer,
    NoticeListQuerySerializer,
    NoticePageSerializer,
    NoticeSerializer,
    OnwardRequestCreateSerializer,
    OnwardRequestSerializer,
    RegistrationAcceptedSerializer,
    RegistrationSerializer,
    RejectRequestSerializer,
    ReleaseRequestCreateSerializer,
    ReminderSerializer,
    TargetCreateRequestSerializer,
    TargetDetailSerializer,
    TargetFlagsSerializer,
    TargetGrantsSerializer,
    TargetListQuerySerializer,
    TargetPageSerializer,
    TargetReopenedSerializer,
    TargetSearchRequestSerializer,
    TransferCreatedSerializer,
    TransferRequestSerializer,
    WithdrawRequestSerializer,
)
from .services import (
    REGISTRATION_ACCEPTED,
    TARGET_REOPENED,
    amendment_request,
    case_confirm_procedure,
    change_request_approve,
    change_request_reject,
    change_request_withdraw,
    notice_acknowledge,
    pending_set_request_of,
    registration_submit,
    release_request_create,
    target_grant_department,
    target_revoke_department,
)
from .transfers import transfer_request_create
from .worklist import WORKLIST_PAGE_SIZE, parse_worklist_query, worklist_page

INTAKE_EXAMPLE = {
    "atena_no": "１２３４５６７８９０１２３４５",
    "name": "山田　花子",
    "name_kana": "やまだ　はなこ",
    "birth_date": "1990-04-01",
    "harm_types": ["dv"],
    "fled": True,
    "basis": "request",
    "jumin_support": {"active": True, "start": "2025-04-01", "end": "2026-03-31"},
    "cases": [
        {"type": "1-I", "abuser_atena_no": "200000000000001"},
        {"type": "2-I", "card_left": True, "agent_set": True},
    ],
    "explanations": {"mynaportal": True, "card_suspension": True, "agent_release": True},
    "origin": {"kind": "dv_center", "body": "〇〇県配偶者暴力相談支援センター", "requested_on": "2025-05-30"},
}


_TARGET_ITEM_EXAMPLE = {
    "id": 42, "atena_no": "123456789012345", "name": "山田　花子", "status": "active",
    "owning_department": "kodomo", "case_types": ["2-I"], "reminders_due": ["procedure_followup"],
    "created_at": "2025-06-01T01:00:00Z"}


def _target_page(result) -> dict:
    return TargetPageSerializer({"count": result.count, "page": result.page.number,
                                 "page_size": WORKLIST_PAGE_SIZE, "results": result.rows}).data


class TargetSearchApi(APIView):
    permission_classes = [IsVictimStaff]
    denied_audit_action = AuditAction.TARGET_NAME_SEARCH

    @extend_schema(
        operation_id="targets_search",
        summary="自所属が登録した設定対象者を氏名・カナで検索（一覧と同じ絞り込み・ページ）",
        description=("ひらがな・半角カナ・空白の違いは無視します。検索した文字は記録されず、表示した対象者が"
                     "監査記録されます（氏名を URL に載せないため POST）。"),
        request=TargetSearchRequestSerializer,
        responses={200: TargetPageSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("カナで検索", request_only=True, value={"name": "やまだ", "status": "active"})],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationFailed({"non_field": "検索条件はオブジェクトで指定してください。"})
        query = parse_worklist_query(request.data, search=request.data.get("name", ""))
        return Response(_target_page(worklist_page(actor=request.user, query=query, via="api")))


class TargetCreateApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_list",
        summary="所属の設定対象者の一覧（登録した所属・閲覧を許可された所属）",
        description=(f"新しい順に {WORKLIST_PAGE_SIZE} 件ずつ。状態・類型・期限の来た確認事項で絞り込めます。"
                     "氏名での検索は URL に氏名を載せないため POST /api/v1/targets/search/ で行います。"
                     "一覧で表示された対象者は監査記録されます。"),
        parameters=[TargetListQuerySerializer],
        responses={200: TargetPageSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("一覧", response_only=True, value={
            "count": 1, "page": 1, "page_size": WORKLIST_PAGE_SIZE, "results": [_TARGET_ITEM_EXAMPLE]})],
    )
    def get(self, request):
        query = parse_worklist_query(request.query_params)
        return Response(_target_page(worklist_page(actor=request.user, query=query, via="api")))

    @extend_schema(
        operation_id="targets_create",
        summary="設定対象者の登録の申出（受付票を返します）",
        description=(
            "応答は、新しい方でも既に設定対象者の方でも同じ 202（受付票の番号のみ）です。"
            "既に他の所属の設定対象者である場合、その所属に確認事項が届きます。"
            "自所属の設定対象者で、設定中・承認待ちの場合は 400 で登録済みと回答します。"
            "自所属の解除済み・取下げ・却下の対象者の場合は、同じ対象者の新しい保護の期間として登録し、"
            "201 で対象者の番号と設定申請を返します。"
        ),
        request=TargetCreateRequestSerializer,
        responses={202: RegistrationAcceptedSerializer, 201: TargetReopenedSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("自所属の解除済みの方（新しい保護の期間）", response_only=True, status_codes=["201"], value={
                "id": 42, "status": "pending", "period": 2,
                "change_request": {"id": 91, "status": "pending", "action": "set"},
                "registration": {"id": 58, "status": "accepted"}, "detail": TARGET_REOPENED}),
            OpenApiExample("登録", value=INTAKE_EXAMPLE, request_only=True),
            OpenApiExample("受付", response_only=True, status_codes=["202"], value={
                "registration": {"id": 57, "status": "accepted"}, "detail": REGISTRATION_ACCEPTED}),
            OpenApiExample("宛名番号の誤り", response_only=True, status_codes=["400"], value={
                "detail": "入力内容に誤りがあります。",
                "errors": {"atena_no": ["団体内統合宛名番号は15桁の数字で入力してください。"]},
                "request_id": "7f0c2a9e4b1d4c3a8e6f5d2b1a0c9e8f"}),
        ],
    )
    def post(self, request):
        receipt = registration_submit(actor=request.user, payload=request.data, today=timezone.localdate())
        reopened = receipt.reopened_target
        if reopened is not None:  # only ever the owning department's own person (ADR 0029)
            return Response(TargetReopenedSerializer(_reopened_body(reopened, receipt)).data,
                            status=status.HTTP_201_CREATED,
                            headers={"Location": reverse("api-target-detail", args=[reopened.pk])})
        body = {"registration": {"id": receipt.pk, "status": "accepted"}, "detail": REGISTRATION_ACCEPTED}
        return Response(RegistrationAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("api-registration-detail", args=[receipt.pk])})


def _reopened_body(target, receipt) -> dict:
    change_request = pending_set_request_of(target)
    return {"id": target.pk, "status": target.status, "period": receipt.opened_period.number,
            "change_request": {"id": change_request.pk, "status": change_request.status,
                               "action": change_request.action},
            "registration": {"id": receipt.pk, "status": "accepted"}, "detail": TARGET_REOPENED}


class RegistrationDetailApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="registrations_retrieve",
        summary="受付票（自所属の申出のみ。申し出た内容と「受付済」）",
        responses={200: RegistrationSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("受付票", response_only=True, value={
            "id": 57, "status": "accepted", "status_display": "受付済", "created_at": "2025-06-01T01:00:00Z",
            "submitted_by": "counter1", "intake": {"atena_no": "123456789012345", "name": "山田　花子",
                                                   "name_kana": "ヤマダ　ハナコ", "birth_date": "1990-04-01",
                                                   "cases": [{"case_type": "2-I", "card_left": True}]}})],
    )
    def get(self, request, registration_id: int):
        receipt = registration_get_for_user(actor=request.user, registration_id=registration_id, via="api")
        return Response(RegistrationSerializer(receipt).data)


class TargetDetailApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_retrieve",
        summary="設定対象者の詳細（見えない対象者は404）",
        description="登録した所属（と閲覧を許可された所属）の職員のみ。閲覧は監査記録されます。",
        responses={200: TargetDetailSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("詳細", response_only=True, value={
            "id": 42, "atena_no": "123456789012345", "standard_atena_no": "000000000012345", "name": "山田　花子",
            "name_kana": "ヤマダ　ハナコ",
            "birth_date": "1990-04-01", "harm_types": ["dv"], "status": "active", "owning_department": "kodomo",
            "fled": True, "basis": "request",
            "jumin_support": {"active": True, "start": "2025-04-01", "end": "2026-03-31"},
            "explanations": {"mynaportal": True, "jumin": False, "card_suspension": True, "agent_release": False},
            "notes": "", "created_at": "2025-06-01T01:00:00Z",
            "origin": {"kind": "counter", "kind_display": "本人（窓口での申出）", "body": "", "requested_on": None},
            "cases": [{"id": 88, "type": "2-I", "active": True, "abuser_atena_no": "", "abuser_name": "",
                       "card_left": True, "card_suspension_confirmed_on": None, "smartphone_left": False,
                       "smartphone_suspension_confirmed_on": None, "agent_set": False,
                       "agent_release_confirmed_on": None, "legal_representative": "", "end_condition": "",
                       "representation_ended_on": None}],
            "change_requests": [{"id": 57, "target_id": 42, "action": "set", "status": "approved",
                                 "decided_at": "2025-06-01T02:00:00Z", "withdrawal_requested_at": None}]})],
    )
    def get(self, request, target_id: int):
        target = target_get_for_user(actor=request.user, target_id=target_id, via="api")
        return Response(TargetDetailSerializer(target).data)


class TargetFlagsApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_flags",
        summary="フラグの設定状態（あるべき状態と中間サーバーへの反映状態）",
        responses={200: TargetFlagsSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("反映待ち", response_only=True, value={"target_id": 42, "flags": [
            {"flag_kind": "NO_AUTO_RESPONSE", "desired": True, "desired_at": "2025-06-01T01:00:00Z",
             "reflected": None, "reflected_at": None},
            {"flag_kind": "NONDISCLOSURE", "desired": True, "desired_at": "2025-06-01T01:00:00Z",
             "reflected": True, "reflected_at": "2025-06-01T01:00:03Z"}]})],
    )
    def get(self, request, target_id: int):
        target = target_get_for_user(actor=request.user, target_id=target_id, via="api")
        body = {"target_id": target.pk, "flags": flag_states_for_unit(target.atena_no)}
        return Response(TargetFlagsSerializer(body).data)


class CaseConfirmationApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="cases_confirmations_create",
        summary="②-I 利用停止等手続／②-II 法定代理権終了の完了確認を記録",
        request=CaseConfirmationRequestSerializer,
        responses={201: CaseConfirmationSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("カード利用停止の確認", request_only=True,
                                 value={"procedure": "card", "confirmed_on": "2025-06-01"})],
    )
    def post(self, request, case_id: int):
        form = CaseConfirmationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = case_confirm_procedure(actor=request.user, case_id=case_id, **form.validated_data)
        body = {"case_id": case.pk, **form.validated_data}
        return Response(CaseConfirmationSerializer(body).data, status=status.HTTP_201_CREATED)


def _change_request_body(change_request) -> dict:
    return ChangeRequestSerializer(change_request).data


class ChangeRequestApproveApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="change_requests_approve",
        summary="申請の承認（申請者以外の、決裁する所属の所属長。所管の移管は移管先の所属長）",
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


class ChangeRequestWithdrawApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="change_requests_withdraw",
        summary="申請の取下げ（登録の取下げは所属長の承認が必要：二者確認）",
        description=(
            "解除・所管の移管の申請はすぐに取り下げられます（保護は続きます。移管は申請した所属の職員のみ）。"
            "登録（設定申請）の取下げは、"
            "最初の呼出しで申出を記録し（202、承認待ちのまま保護されます）、申し出た方・登録申請者以外の"
            "決裁する所属の所属長が同じ呼出しを行うと完了します（200）。住基DV等支援措置の対象者は取り下げできません。"
        ),
        request=WithdrawRequestSerializer,
        responses={200: ChangeRequestSerializer, 202: ChangeRequestSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("取下げの申出", request_only=True, value={"reason": "本人が申出を取り下げたため"}),
            OpenApiExample("申出済み（承認待ち）", response_only=True, status_codes=["202"], value={
                "id": 57, "target_id": 42, "action": "set", "status": "pending", "decided_at": None,
                "withdrawal_requested_at": "2025-06-01T01:00:00Z"}),
        ],
    )
    def post(self, request, change_request_id: int):
        form = WithdrawRequestSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        change_request = change_request_withdraw(actor=request.user, change_request_id=change_request_id,
                                                 reason=form.validated_data.get("reason", ""))
        still_pending = change_request.status == "pending"
        return Response(_change_request_body(change_request),
                        status=status.HTTP_202_ACCEPTED if still_pending else status.HTTP_200_OK)


class ReleaseRequestCreateApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_release_requests_create",
        summary="解除の申請（住基DV等支援措置の対象者は解除不可）",
        request=ReleaseRequestCreateSerializer,
        responses={201: ChangeRequestSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "②-I 手続完了による解除", request_only=True, value={"reason": "2-I_complete", "cases": [88]}
            ),
            OpenApiExample(
                "支援措置中",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "住基DV等支援措置の対象者は解除できません（支援措置の対象者は必ず設定対象者とします）。",
                    "errors": {
                        "reason": [
                            "住基DV等支援措置の対象者は解除できません（支援措置の対象者は必ず設定対象者とします）。"
                        ]
                    },
                    "request_id": "7f0c2a9e4b1d4c3a8e6f5d2b1a0c9e8f",
                },
            ),
        ],
    )
    def post(self, request, target_id: int):
        form = ReleaseRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change_request = release_request_create(
            actor=request.user,
            target_id=target_id,
            reason=form.validated_data["reason"],
            case_ids=form.validated_data.get("cases") or None,
            comment=form.validated_data.get("comment", ""),
        )
        return Response(_change_request_body(change_request), status=status.HTTP_201_CREATED)


class AmendmentCreateApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_amendments_list",
        summary="設定内容の変更の履歴（変更前・変更後。登録した所属のみ）",
        description="新しい順。閲覧を許可された所属・他の所属には 404 です。表示は監査記録されます。",
        responses={200: AmendmentSerializer(many=True), **ERROR_RESPONSES},
        examples=[OpenApiExample("カナの訂正（承認済み）", response_only=True, value=[{
            "change_request": {"id": 93, "status": "approved", "action": "amend"}, "reason": "誤入力の訂正",
            "requested_at": "2025-06-01T01:00:00Z", "decided_at": "2025-06-01T02:00:00Z",
            "requested": {"reason": "誤入力の訂正", "personal": {"name_kana": "ヤマダ　ハナ"}, "jumin_support": None,
                          "cases": []},
            "before": {"personal": {"name_kana": "ヤマダ　ハナコ"}},
            "after": {"personal": {"name_kana": "ヤマダ　ハナ"}},
            "added_case_ids": []}])],
    )
    def get(self, request, target_id: int):
        rows = [{"id": a.change_request.pk, "status": a.change_request.status, "action": a.change_request.action,
                 "reason": a.reason, "requested_at": a.change_request.requested_at,
                 "decided_at": a.change_request.decided_at, "requested": a.requested, "before": a.before,
                 "after": a.after, "added_case_ids": [c.pk for c in a.added_cases.all()]}
                for a in amendment_history_for_user(actor=request.user, target_id=target_id, via="api")]
        return Response(AmendmentSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="targets_amendments_create",
        summary="設定内容の変更の申請（類型の追加・氏名等の訂正・支援措置。登録した所属のみ）",
        description=(
            "設定中の対象者について、登録した所属の職員が申請し、申請者以外の所属長が "
            "/api/v1/change-requests/{id}/approve で承認します（却下・取下げも同じ）。追加した類型は申請の時点から"
            "照会時確認で保護されます。フラグと中間サーバーへの反映は承認時に、変わる分だけ行います。"
            "類型の終了は解除の申請で行います。承認待ちの申請がある間は 409、変更がない場合は 400 です。"
        ),
        request=AmendmentRequestSerializer,
        responses={201: AmendmentCreatedSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("①-I の追加", request_only=True, value={
                "reason": "加害者の宛名番号が判明したため",
                "add_cases": [{"type": "1-I", "abuser_atena_no": "200000000000002"}]}),
            OpenApiExample("カナの訂正", request_only=True, value={
                "reason": "氏名カナの誤入力の訂正", "personal": {"name_kana": "ヤマダ　ハナコ"}}),
            OpenApiExample("申請", response_only=True, status_codes=["201"], value={
                "change_request": {"id": 93, "status": "pending", "action": "amend"},
                "required_measures": {"victim_flags": ["NONDISCLOSURE"], "nondisclosure_code_on_victim": True,
                                      "nondisclosure_code_on_abusers": ["200000000000002"]},
                "warnings": []}),
        ],
    )
    def post(self, request, target_id: int):
        requested = amendment_request(actor=request.user, target_id=target_id, payload=request.data,
                                      today=timezone.localdate())
        cr = requested.change_request
        body = {"change_request": {"id": cr.pk, "status": cr.status, "action": cr.action},
                "required_measures": requested.measures.as_dict(), "warnings": requested.warnings}
        return Response(AmendmentCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TransferRequestCreateApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_transfers_create",
        summary="所管の移管の申請（所管する所属の職員・所属長）",
        description=(
            "移管先の所属の所属長（承認者がいない所属では代わりの承認所属の所属長）が承認すると所管が移り、"
            "移管前の所属は引き続き閲覧できます（閲覧の許可として記録されます）。承認・却下は "
            "/api/v1/change-requests/{id}/approve・reject、取下げは withdraw で行います。"
        ),
        request=TransferRequestSerializer,
        responses={201: TransferCreatedSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("福祉課へ移管", request_only=True,
                                 value={"department": "fukushi", "reason": "転居に伴い福祉課で支援を継続するため"}),
                  OpenApiExample("申請後", response_only=True, status_codes=["201"], value={
                      "change_request": {"id": 58, "status": "pending", "action": "transfer"}})],
    )
    def post(self, request, target_id: int):
        form = TransferRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change_request = transfer_request_create(actor=request.user, target_id=target_id,
                                                 department_code=form.validated_data["department"],
                                                 reason=form.validated_data["reason"])
        return Response(TransferCreatedSerializer({"change_request": change_request}).data,
                        status=status.HTTP_201_CREATED)


_NOTICE_EXAMPLE = {
    "id": 12, "kind": "set", "kind_display": "設定", "atena_no": "123456789012345", "name": "山田　花子",
    "message": "設定対象者になりました。マイナポータルのお知らせの宛先ファイル等から除外してください。",
    "created_at": "2025-06-01T01:00:00Z", "acknowledged_at": None, "acknowledged_by": None, "overdue": False,
}


class NoticeListApi(APIView):
    """The acting linkage department's notices (ADR 0027); a department without linkage holds no list."""
    permission_classes = [IsCheckCaller]
    denied_audit_action = AuditAction.NOTICE_LIST

    @extend_schema(
        operation_id="notices_list",
        summary="自所属へのお知らせ（他所属の設定対象者の設定・解除・変更）",
        description=(f"新しい順に {NOTICE_PAGE_SIZE} 件ずつ。表示した対象者は監査記録されます。"
                     "類型・加害者は含みません。"),
        parameters=[NoticeListQuerySerializer],
        responses={200: NoticePageSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("未確認の設定通知", response_only=True, value={
            "count": 1, "page": 1, "page_size": NOTICE_PAGE_SIZE, "results": [_NOTICE_EXAMPLE]})],
    )
    def get(self, request):
        query = NoticeListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = query.validated_data["page"]
        notices, count = notices_page(actor=request.user, page=page)
        return Response({"count": count, "page": page, "page_size": NOTICE_PAGE_SIZE,
                         "results": NoticeSerializer(notices, many=True).data})


class NoticeAcknowledgeApi(APIView):
    permission_classes = [IsCheckCaller]
    parser_classes: list = []  # takes no body: whatever is sent is never parsed
    denied_audit_action = AuditAction.NOTICE_ACKNOWLEDGE

    @extend_schema(
        operation_id="notices_acknowledge",
        summary="お知らせを確認済み（既読）にする",
        description="最初に確認した職員と日時が記録されます。2回目以降も同じ内容を返します（最初の記録は変わりません）。",
        request=None,
        responses={200: NoticeSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("確認済み", response_only=True, value={
            **_NOTICE_EXAMPLE, "acknowledged_at": "2025-06-02T00:30:00Z", "acknowledged_by": "zeimu1"})],
    )
    def post(self, request, notice_id: int):
        notice = notice_acknowledge(actor=request.user, notice_id=notice_id)
        return Response(NoticeSerializer(notice).data)
class ReminderListApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="reminders_list",
        summary="自所属の通知（期限の到来した確認事項）",
        description=(
            "登録内容から毎回計算します（保存された一覧ではありません）。種類：住基支援措置の終了1か月前"
            "（jumin_support_expiry）、②-II 本人の18歳到達（majority）、②-I 手続の完了確認の追跡"
            "（procedure_followup、承認からN日ごと）、承認待ちの滞留（approval_overdue、所属長のみ）、"
            "未対応の確認事項（review_task）、転出先への設定依頼で設定済みの連絡がないもの（onward_followup、"
            "依頼から REMINDER_ONWARD_FOLLOWUP_DAYS 日）、他所属からのお知らせの未確認（notice_unacknowledged、"
            "受け取った所属に NOTICE_ACK_DAYS 日後）。表示された対象者は監査記録されます。"
        ),
        parameters=[OpenApiParameter("until", OpenApiTypes.DATE, required=False,
                                     description="この日まで（この日を含む）に期限の来る通知。省略時は今日（日本時間）。")],
        responses={200: ReminderSerializer(many=True), **ERROR_RESPONSES},
        examples=[OpenApiExample("18歳到達", response_only=True, value=[{
            "kind": "majority",
            "kind_display": "②-II 本人が18歳に到達：親権者による法定代理の終了（解除か他の類型で継続か）",
            "target_id": 42, "case_id": 88, "due_on": "2026-04-01"}])],
    )
    def get(self, request):
        errors: dict[str, str] = {}
        until = parse_date(request.query_params.get("until"), "until", errors, "期限の日付（until）", required=False)
        if errors:
            raise ValidationFailed(errors)
        reminders = reminders_for(actor=request.user, until=until, via="api")
        return Response(ReminderSerializer(reminders, many=True).data)
def _grants_body(target) -> dict:
    departments = [{"code": d.code, "name": d.name} for d in target_granted_departments(target)]
    return TargetGrantsSerializer({"target_id": target.pk, "departments": departments}).data


class TargetGrantsApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_grants_create",
        summary="他の所属に対象者の閲覧を許可（登録した所属の所属長のみ）",
        description="許可された所属は、この時点から対象者の詳細と所属の一覧で閲覧できます。",
        request=GrantRequestSerializer,
        responses={201: TargetGrantsSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("福祉課に許可", request_only=True, value={"department": "fukushi"}),
                  OpenApiExample("許可後", response_only=True, status_codes=["201"], value={
                      "target_id": 42, "departments": [{"code": "fukushi", "name": "福祉課"}]})],
    )
    def post(self, request, target_id: int):
        form = GrantRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        target_grant_department(actor=request.user, target_id=target_id,
                                department_code=form.validated_data["department"],
                                reason=form.validated_data.get("reason", ""))
        target = target_get_for_user(actor=request.user, target_id=target_id, via="api")
        return Response(_grants_body(target), status=status.HTTP_201_CREATED)


class TargetGrantApi(APIView):
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_grants_destroy",
        summary="他の所属への閲覧の許可を取り消す（登録した所属の所属長のみ）",
        description="取り消された所属は、この時点から対象者を閲覧できません（404）。",
        responses={200: TargetGrantsSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("取消し後", response_only=True, value={"target_id": 42, "departments": []})],
    )
    def delete(self, request, target_id: int, department: str):
        request.data  # noqa: B018 - parse any body, so a hostile one is the one 400 before any work
        target_revoke_department(actor=request.user, target_id=target_id, department_code=department)
        target = target_get_for_user(actor=request.user, target_id=target_id, via="api")
        return Response(_grants_body(target))


_ONWARD_EXAMPLE = {
    "id": 7, "target_id": 42, "municipality_name": "〇〇県〇〇市", "municipality_code": "", "moved_on": "2026-04-01",
    "note": "", "issued_at": "2026-03-20T01:00:00Z", "issued_by": "counter1", "confirmed_at": None,
    "confirmed_by": None}


class OnwardRequestsApi(APIView):
    """転出 設定依頼 of one target (ADR 0040): the owning department only (anyone else: 404)."""
    permission_classes = [IsVictimStaff]

    @extend_schema(
        operation_id="targets_onward_requests_list",
        summary="転出先の市区町村への設定依頼の一覧（登録した所属のみ）",
        responses={200: OnwardRequestSerializer(many=True), **ERROR_RESPONSES},
        examples=[OpenApiExample("一覧", response_only=True, value=[_ONWARD_EXAMPLE])],
    )
    def get(self, request, target_id: int):
        _, rows = onward_requests_for(actor=request.user, target_id=target_id, via="api")
        return Response(OnwardRequestSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="targets_onward_requests_create",
        summary="転出先の市区町村への設定依頼を作成（この団体の設定は解除されません）",
        description=("転出先から設定済みの連絡がないまま REMINDER_ONWARD_FOLLOWUP_DAYS 日たつと、"
                     "確認事項（onward_followup）になります。依頼文書は画面から印刷します。"),
        request=OnwardRequestCreateSerializer,
        responses={201: OnwardRequestSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("依頼", request_only=True,
                                 value={"municipality_name": "〇〇県〇〇市", "moved_on": "2026-04-01"})],
    )
    def post(self, request, target_id: int):
        onward = onward_request_issue(actor=request.user, target_id=target_id, payload=request.data)
        return Response(OnwardRequestSerializer(onward).data, status=status.HTTP_201_CREATED)


class OnwardRequestConfirmApi(APIView):
    permission_classes = [IsVictimStaff]
    parser_classes: list = []  # takes no body: whatever is sent is never parsed
    denied_audit_action = AuditAction.ONWARD_REQUEST_CONFIRM

    @extend_schema(
        operation_id="targets_onward_requests_confirm",
        summary="転出先で設定済みであることを記録（2回目以降は最初の記録のまま）",
        request=None,
        responses={200: OnwardRequestSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("設定済み", response_only=True, value={
            **_ONWARD_EXAMPLE, "confirmed_at": "2026-04-10T01:00:00Z", "confirmed_by": "counter1"})],
    )
    def post(self, request, target_id: int, onward_id: int):
        onward = onward_request_confirm(actor=request.user, target_id=target_id, onward_id=onward_id)
        return Response(OnwardRequestSerializer(onward).data)
