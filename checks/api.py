"""Inquiry-check (single and bulk) and recipient-filter endpoints. Thin."""
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsCheckCaller
from audit.actions import AuditAction
from core.api_schema import BULK_ERROR_RESPONSES, ERROR_RESPONSES
from core.errors import ValidationFailed
from core.normalize import normalize_atena_no
from core.tabular import XLSX_CONTENT_TYPE
from core.uploads import (
    StreamingJSONParser,
    max_recipient_file_bytes,
    max_upload_bytes,
    refuse_oversize,
    uploaded_file,
)

from .bulk import (
    bulk_input_from_file,
    bulk_input_from_list,
    bulk_inquiry_check,
    render_csv,
    render_json,
    render_xlsx,
)
from .file_stamp import StampResult, check_provision_file, max_file_bytes, stamp_inquiry_file, stamped_chunks
from .jobs import job_slot_release, job_slot_take
from .models import BulkJobSlot
from .recipient_filter import recipient_filter
from .selectors import inquiry_check
from .serializers import (
    DIRECTIONS,
    BulkCheckJsonRequestSerializer,
    BulkCheckResultSerializer,
    BulkCheckUploadRequestSerializer,
    InquiryCheckRequestSerializer,
    InquiryCheckResultSerializer,
    InquiryFileStampReportSerializer,
    InquiryFileStampRequestSerializer,
    ProvisionFileCheckReportSerializer,
    ProvisionFileCheckRequestSerializer,
    RecipientFilterReportSerializer,
    RecipientFilterRequestSerializer,
)


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


# --- bulk check and お知らせ recipient-file filter -----------------------------------------


class _UploadView(APIView):
    """Refuses an oversize body by its declared length before anything (authentication
    included) reads it, and caps a streamed multipart body (bytes, lines) while it arrives.
    After the caller is known and before the body is read, takes one of the caller's bulk
    job slots (429 when they are all in use), released when the response is ready."""

    denied_audit_action: AuditAction
    _job_slot: BulkJobSlot | None = None
    own_body_cap = True  # core.body_cap: the cap is body_limit(), checked in initial()

    def body_limit(self) -> int:
        return max_upload_bytes()

    def initial(self, request, *args, **kwargs):
        refuse_oversize(request, self.body_limit())
        super().initial(request, *args, **kwargs)
        self._job_slot = job_slot_take(request.user, action=self.denied_audit_action)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._job_slot is not None:
            job_slot_release(self._job_slot)
            self._job_slot = None
        return super().finalize_response(request, response, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        # These views answer CSV / the original file themselves; never 406 on Accept.
        return super().perform_content_negotiation(request, force=True)


def _direction(value) -> str:
    if value not in DIRECTIONS:
        raise ValidationFailed(
            {"direction": "direction は inquiry（照会）または provision（一時入力による提供）です。"}
        )
    return value


def _accepts(request, media_type: str) -> bool:
    return media_type in request.headers.get("Accept", "")


class BulkInquiryCheckApi(_UploadView):
    permission_classes = [IsCheckCaller]
    parser_classes = [StreamingJSONParser, MultiPartParser]
    system_scopes = ("inquiry_check",)
    denied_audit_action = AuditAction.INQUIRY_BULK_CHECK

    @extend_schema(
        operation_id="inquiry_checks_bulk",
        summary="照会時確認の一括実行（最大1,000,000件、入力順に要否のみ）",
        description=(
            "JSON（`atena_nos` の配列）または multipart のファイル（CSV/TXT、1列目が宛名番号、"
            "UTF-8〔BOM有無〕または Shift_JIS/CP932）。形式誤りが1件でもあれば全体を400とし、"
            "誤りの位置を errors に示します（途中まで処理することはありません）。重複は結果に含め、"
            "`duplicates` に位置（results の0始まりの添字）を示します。`Accept: text/csv` で CSV を、"
            "`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` で Excel（xlsx、"
            "宛名番号は文字列のセル）を返します。"
            "宣言された長さが上限を超えるものは本文を読む前に、行数の上限を超えるものは受信中に413で、"
            "空行・短すぎる行や形式誤りの行が上限を超えるものはその行で読むのをやめて400で拒否します。"
            "同じ利用者の一括処理は同時に1件まで、1日の件数にも上限があります（429）。"
            "監査記録は件数と、照合した設定対象者の ID の1件です（宛名番号は記録しません）。"
        ),
        request={
            "application/json": BulkCheckJsonRequestSerializer,
            "multipart/form-data": BulkCheckUploadRequestSerializer,
        },
        responses={
            (200, "application/json"): BulkCheckResultSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="atena_no,nondisclosure_code_required（1/0）の CSV"
            ),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="宛名番号（文字列）と不開示コード要否（1/0）の Excel ブック"
            ),
            **BULK_ERROR_RESPONSES,
        },
        parameters=[
            OpenApiParameter(
                "Accept", str, OpenApiParameter.HEADER, required=False,
                enum=["application/json", "text/csv", XLSX_CONTENT_TYPE],
            )
        ],
        examples=[
            OpenApiExample(
                "JSON",
                request_only=True,
                media_type="application/json",
                value={"atena_nos": ["123456789012345", "１２３４５６７８９０１２３４６"], "direction": "inquiry"},
            ),
            OpenApiExample(
                "結果",
                response_only=True,
                value={
                    "direction": "inquiry",
                    "count": 2,
                    "required_count": 1,
                    "duplicates": {"count": 0, "indexes": []},
                    "results": [
                        {"atena_no": "123456789012345", "nondisclosure_code_required": True},
                        {"atena_no": "123456789012346", "nondisclosure_code_required": False},
                    ],
                },
            ),
            OpenApiExample(
                "形式誤り",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "入力内容に誤りがあります。",
                    "errors": {"atena_nos[1]": ["団体内統合宛名番号は15桁の数字で入力してください。"]},
                    "request_id": "7f0c2a9e4b1d4c3a8e6f5d2b1a0c9e8f",
                },
            ),
        ],
    )
    def post(self, request):
        if request.content_type.startswith("multipart/"):
            direction = _direction(request.data.get("direction"))
            bulk = bulk_input_from_file(uploaded_file(request))
        else:
            if not isinstance(request.data, dict):
                _direction(None)
            direction = _direction(request.data.get("direction"))
            bulk = bulk_input_from_list(request.data.get("atena_nos"))
        result = bulk_inquiry_check(actor=request.user, bulk=bulk, direction=direction)
        if _accepts(request, "text/csv"):
            return HttpResponse(render_csv(result), content_type="text/csv; charset=utf-8")
        if _accepts(request, XLSX_CONTENT_TYPE):
            response = HttpResponse(render_xlsx(result), content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = 'attachment; filename="inquiry-check-result.xlsx"'
            return response
        return HttpResponse(render_json(result), content_type="application/json")


class RecipientFilterApi(_UploadView):
    permission_classes = [IsCheckCaller]
    parser_classes = [MultiPartParser]
    system_scopes = ("recipient_filter",)
    denied_audit_action = AuditAction.RECIPIENT_FILTER_RUN

    def body_limit(self) -> int:
        return max_recipient_file_bytes()

    @extend_schema(
        operation_id="recipient_filter",
        summary="お知らせ宛先ファイルから対象者を除外",
        description=(
            "②の類型で利用停止手続等の完了が確認されていない対象者（フラグ設定の有無を問わない）を"
            "除いた同じファイル（同じ文字コード・BOM・改行・列・順序）を返します。形式に誤りのある行も"
            "除外し、行番号を報告します。件数は応答ヘッダー X-Line-Count, X-Record-Count, X-Removed-Count, "
            "X-Malformed-Count, X-Malformed-Lines, X-Duplicate-Count, X-Duplicate-Lines, X-Encoding に、"
            "または `Accept: application/json` で JSON（ファイル内容は content）として返します。"
            "アップロードは保存しません。"
        ),
        request={"multipart/form-data": RecipientFilterRequestSerializer},
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="除外後のファイル（元と同じ形式）"
            ),
            (200, "application/json"): RecipientFilterReportSerializer,
            **BULK_ERROR_RESPONSES,
        },
        parameters=[
            OpenApiParameter(
                "Accept",
                str,
                OpenApiParameter.HEADER,
                required=False,
                enum=["application/octet-stream", "application/json"],
            )
        ],
        examples=[
            OpenApiExample(
                "JSON形式",
                response_only=True,
                media_type="application/json",
                value={
                    "encoding": "cp932",
                    "line_count": 4,
                    "record_count": 3,
                    "kept_count": 2,
                    "removed_count": 1,
                    "malformed_count": 1,
                    "malformed": [{"line": 4, "message": "団体内統合宛名番号は15桁の数字で入力してください。"}],
                    "duplicate_count": 0,
                    "duplicate_lines": [],
                    "content": "宛名番号,区分\r\n123456789012345,1\r\n",
                },
            )
        ],
    )
    def post(self, request):
        result = recipient_filter(actor=request.user, fileobj=uploaded_file(request))
        report = result.report
        summary = {
            "encoding": result.encoding,
            "line_count": result.line_count,
            "record_count": result.record_count,
            "kept_count": result.kept_count,
            "removed_count": result.removed_count,
            "malformed_count": report.malformed_count,
            "malformed": report.malformed,
            "duplicate_count": report.duplicate_count,
            "duplicate_lines": report.duplicates,
        }
        if _accepts(request, "application/json"):
            text = b"".join(result.content).decode(result.encoding)
            return Response(RecipientFilterReportSerializer({**summary, "content": text}).data)
        response = HttpResponse(b"".join(result.content), content_type="application/octet-stream")
        response["Content-Disposition"] = 'attachment; filename="recipients-filtered.csv"'
        response["X-Encoding"] = result.encoding
        for header, key in (
            ("X-Line-Count", "line_count"),
            ("X-Record-Count", "record_count"),
            ("X-Kept-Count", "kept_count"),
            ("X-Removed-Count", "removed_count"),
            ("X-Malformed-Count", "malformed_count"),
            ("X-Duplicate-Count", "duplicate_count"),
        ):
            response[header] = str(summary[key])
        response["X-Malformed-Lines"] = ",".join(str(m["line"]) for m in report.malformed)
        response["X-Duplicate-Lines"] = ",".join(str(n) for n in report.duplicates)
        return response


# --- inquiry request files and manual-provision files (ADR 0044, 0045) ---------------------


def _wants_json(request) -> bool:
    return request.query_params.get("format") == "json" or _accepts(request, "application/json")


def _file_response(result: StampResult, upload, filename: str, headers: dict[str, str]) -> StreamingHttpResponse:
    """The result streamed from the spooled upload (deleted with the request, after the response)."""
    response = StreamingHttpResponse(stamped_chunks(result, upload), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(result.size)
    for key, value in headers.items():
        response[key] = value
    return response


def _truthy(value) -> bool:
    if value in (None, "", "false", "0", False):
        return False
    if value in ("true", "1", True):
        return True
    raise ValidationFailed({"refuse": "refuse は true または false です。"})


_FILE_HEADERS = "X-Layout, X-Layout-Version, X-Line-Count, X-Required-Count, "
_JSON_PARAMETERS = [
    OpenApiParameter("format", str, OpenApiParameter.QUERY, required=False, enum=["json"],
                     description="json: ファイルではなく件数と行番号を JSON で返す"),
    OpenApiParameter("Accept", str, OpenApiParameter.HEADER, required=False,
                     enum=["application/octet-stream", "application/json"]),
]


class InquiryFileStampApi(_UploadView):
    permission_classes = [IsCheckCaller]
    parser_classes = [MultiPartParser]
    system_scopes = ("inquiry_file_stamp",)
    denied_audit_action = AuditAction.INQUIRY_FILE_STAMP

    def body_limit(self) -> int:
        return max_file_bytes()

    @extend_schema(
        operation_id="inquiry_files_stamp",
        summary="照会依頼ファイルに照会側不開示コードを設定（確認済みレイアウトのみ）",
        description=(
            "INQUIRY_FILE_LAYOUT の定義どおりの照会依頼ファイルを、不開示コードが必要な方（①-I の加害者、"
            "②の被害者、審査中の登録を含む）の行の照会側不開示コードだけを「不開示」にして、それ以外は"
            "バイト単位で同じまま返します。設定済みのコードを外すことはありません。件数は応答ヘッダー "
            + _FILE_HEADERS + "X-Stamped-Count, X-Already-Stamped-Count に、`?format=json` または "
            "`Accept: application/json` では JSON で返します（ファイルは含みません）。形式に誤りのある行が"
            "1行でもあればファイル全体を400で拒否し、行番号を errors に示します。レイアウトのコード値が"
            "システム管理者に確認されていなければ409です。ファイルは保存せず、監査記録は件数と照合した"
            "設定対象者の ID のみです。"
        ),
        request={"multipart/form-data": InquiryFileStampRequestSerializer},
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="不開示コードを設定したファイル（元と同じ形式）"),
            (200, "application/json"): InquiryFileStampReportSerializer,
            **BULK_ERROR_RESPONSES,
        },
        parameters=_JSON_PARAMETERS,
        examples=[
            OpenApiExample("件数（JSON）", response_only=True, media_type="application/json", value={
                "layout": "chukan_shokai_request", "layout_version": "1", "line_count": 3, "required_count": 2,
                "stamped_count": 1, "already_stamped_count": 1, "stamped_lines": [3]}),
            OpenApiExample("形式誤り", response_only=True, status_codes=["400"], value={
                "detail": "入力内容に誤りがあります。",
                "errors": {"file:2": ["長さが 236 バイトです（固定長 237 バイト）。"],
                           "file": ["形式に誤りのある行が 1 行あります。各行の誤りは行番号ごとに示します。"]},
                "request_id": "7f0c2a9e4b1d4c3a8e6f5d2b1a0c9e8f"}),
        ],
    )
    def post(self, request):
        upload = uploaded_file(request)
        result = stamp_inquiry_file(actor=request.user, fileobj=upload)
        summary = {
            "layout": result.layout.name, "layout_version": result.layout.version, "line_count": result.line_count,
            "required_count": result.required_count, "stamped_count": result.stamped_count,
            "already_stamped_count": result.already_count, "stamped_lines": result.stamped_lines,
        }
        if _wants_json(request):
            return Response(InquiryFileStampReportSerializer(summary).data)
        return _file_response(result, upload, "inquiry-stamped.txt", {
            "X-Layout": result.layout.name, "X-Layout-Version": result.layout.version,
            "X-Line-Count": str(result.line_count), "X-Required-Count": str(result.required_count),
            "X-Stamped-Count": str(result.stamped_count), "X-Already-Stamped-Count": str(result.already_count),
        })


class ProvisionFileCheckApi(_UploadView):
    permission_classes = [IsCheckCaller]
    parser_classes = [MultiPartParser]
    system_scopes = ("provision_file_check",)
    denied_audit_action = AuditAction.PROVISION_FILE_CHECK

    def body_limit(self) -> int:
        return max_file_bytes()

    @extend_schema(
        operation_id="provision_files_check",
        summary="手動提供ファイルの開示区分を確認（不開示該当フラグの方の「開示」を直す、または拒否）",
        description=(
            "PROVISION_FILE_LAYOUT の定義どおりの手動提供（一時入力）ファイルのうち、不開示該当フラグの方の行で"
            "開示区分が「開示」のものを「不開示」に直して返し、その行番号を報告します（X-Fixed-Lines、先頭1,000件）。"
            "`refuse=true` のときは直さずに、その行を errors に挙げてファイル全体を400で拒否します。"
            "件数は応答ヘッダー " + _FILE_HEADERS + "X-Fixed-Count, X-Fixed-Lines, X-Already-Nondisclosure-Count に、"
            "`?format=json` または `Accept: application/json` では JSON で返します。形式誤り・未確認の"
            "レイアウト・上限は照会依頼ファイルと同じです。"
        ),
        request={"multipart/form-data": ProvisionFileCheckRequestSerializer},
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="開示区分を直したファイル（元と同じ形式）"),
            (200, "application/json"): ProvisionFileCheckReportSerializer,
            **BULK_ERROR_RESPONSES,
        },
        parameters=_JSON_PARAMETERS,
        examples=[
            OpenApiExample("件数（JSON）", response_only=True, media_type="application/json", value={
                "layout": "manual_provision_example", "layout_version": "1", "line_count": 5, "required_count": 2,
                "fixed_count": 1, "already_nondisclosure_count": 1, "fixed_lines": [2]}),
        ],
    )
    def post(self, request):
        upload = uploaded_file(request)
        refuse = _truthy(request.data.get("refuse"))
        result = check_provision_file(actor=request.user, fileobj=upload, refuse=refuse)
        summary = {
            "layout": result.layout.name, "layout_version": result.layout.version, "line_count": result.line_count,
            "required_count": result.required_count, "fixed_count": result.stamped_count,
            "already_nondisclosure_count": result.already_count, "fixed_lines": result.stamped_lines,
        }
        if _wants_json(request) or refuse:
            return Response(ProvisionFileCheckReportSerializer(summary).data)
        return _file_response(result, upload, "provision-checked.txt", {
            "X-Layout": result.layout.name, "X-Layout-Version": result.layout.version,
            "X-Line-Count": str(result.line_count), "X-Required-Count": str(result.required_count),
            "X-Fixed-Count": str(result.stamped_count), "X-Fixed-Lines": ",".join(map(str, result.stamped_lines)),
            "X-Already-Nondisclosure-Count": str(result.already_count),
        })
