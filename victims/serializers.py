"""API shapes for targets. Validation of an intake lives in victims/intake.py (shared with
the screen); these serializers describe the body for the schema and render responses."""
from rest_framework import serializers

from flags import rules
from flags.rules import RELEASE_REASONS
from intermediary.flag_kinds import FLAG_KINDS

from .models import (
    Basis,
    CaseType,
    HarmType,
    LegalRepresentative,
    NoticeKind,
    ReminderKind,
    RequestOrigin,
    TargetStatus,
)

PROCEDURE_CHOICES = tuple(rules.PROCEDURES)


class JuminSupportSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)


class CaseInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=CaseType.values)
    abuser_atena_no = serializers.CharField(required=False, help_text="1-I: 加害者の団体内統合宛名番号（15桁）")
    abuser_name = serializers.CharField(required=False)
    card_left = serializers.BooleanField(required=False, help_text="2-I")
    smartphone_left = serializers.BooleanField(required=False, help_text="2-I")
    agent_set = serializers.BooleanField(required=False, help_text="2-I")
    legal_representative = serializers.ChoiceField(choices=LegalRepresentative.values, required=False, help_text="2-II")
    end_condition = serializers.CharField(required=False, help_text="2-II")


class ExplanationsSerializer(serializers.Serializer):
    mynaportal = serializers.BooleanField(required=False)
    jumin = serializers.BooleanField(required=False)
    card_suspension = serializers.BooleanField(required=False)
    agent_release = serializers.BooleanField(required=False)


class OriginSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestOrigin.values, required=False,
                                   help_text="申出の経路。省略時は counter（本人が窓口で申出）")
    body = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                 help_text="設定依頼をした機関の名称（counter 以外は必須）")
    requested_on = serializers.DateField(required=False, allow_null=True,
                                         help_text="設定依頼の受付日（counter 以外は必須）")


class OriginOutSerializer(serializers.Serializer):
    kind = serializers.CharField(source="request_origin")
    kind_display = serializers.CharField(source="get_request_origin_display")
    body = serializers.CharField(source="request_body_name")
    requested_on = serializers.DateField(source="request_received_on", allow_null=True)


class TargetCreateRequestSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="団体内統合宛名番号。全角数字・空白は正規化されます。")
    standard_atena_no = serializers.CharField(
        required=False, allow_blank=True, allow_null=True,
        help_text="任意。標準準拠システムの宛名番号（住民宛名番号・住登外者宛名番号、15桁）。ADR 0046")
    name = serializers.CharField()
    name_kana = serializers.CharField()
    birth_date = serializers.DateField()
    harm_types = serializers.ListField(child=serializers.ChoiceField(choices=HarmType.values), min_length=1)
    fled = serializers.BooleanField()
    basis = serializers.ChoiceField(choices=Basis.values)
    jumin_support = JuminSupportSerializer(required=False)
    cases = CaseInputSerializer(many=True)
    explanations = ExplanationsSerializer(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    origin = OriginSerializer(required=False)


class RegistrationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="受付番号（受付票のID）")
    status = serializers.ChoiceField(choices=["accepted"], help_text="常に accepted（受付済）")


class RegistrationAcceptedSerializer(serializers.Serializer):
    """The answer to every accepted registration: the same for a new person and for one
    who is already a target (ADR 0015), so no target id."""

    registration = RegistrationRefSerializer()
    detail = serializers.CharField()


class RegistrationSerializer(serializers.Serializer):
    """A receipt as its department sees it: what it submitted, 受付済. Never the outcome."""

    id = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    intake = serializers.JSONField()

    def get_status(self, obj) -> str:
        return "accepted"

    def get_status_display(self, obj) -> str:
        return "受付済"


class TargetListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="target.pk")
    atena_no = serializers.CharField(source="target.atena_no")
    name = serializers.CharField(source="target.name")
    status = serializers.CharField(source="target.status")
    owning_department = serializers.CharField(source="target.owning_department.code")
    case_types = serializers.ListField(child=serializers.ChoiceField(choices=CaseType.values),
                                       help_text="有効な類型")
    reminders_due = serializers.ListField(child=serializers.ChoiceField(choices=ReminderKind.values),
                                          source="reminder_kinds", help_text="期限の来た確認事項の種類")
    created_at = serializers.DateTimeField(source="target.created_at")


class TargetPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = TargetListItemSerializer(many=True)


class TargetListQuerySerializer(serializers.Serializer):
    """For the schema: parse_worklist_query validates (with Japanese messages)."""
    status = serializers.ChoiceField(choices=TargetStatus.values, required=False)
    case_type = serializers.ChoiceField(choices=CaseType.values, required=False)
    reminders_due = serializers.BooleanField(required=False, help_text="期限の来た確認事項がある対象者のみ")
    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000)


class TargetSearchRequestSerializer(TargetListQuerySerializer):
    name = serializers.CharField(max_length=100, help_text="氏名または氏名（カナ）の一部。自所属が登録した対象者のみ")


class OnwardRequestCreateSerializer(serializers.Serializer):
    municipality_name = serializers.CharField(max_length=100, help_text="転出先の市区町村名")
    municipality_code = serializers.CharField(required=False, allow_blank=True, max_length=6,
                                              help_text="全国地方公共団体コード（6桁、任意）")
    moved_on = serializers.DateField(help_text="転出日（予定日）")
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class OnwardRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    municipality_name = serializers.CharField()
    municipality_code = serializers.CharField()
    moved_on = serializers.DateField()
    note = serializers.CharField()
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField(source="issued_by.username")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", allow_null=True, default=None)


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(source="case_type")
    active = serializers.BooleanField()
    abuser_atena_no = serializers.CharField()
    abuser_name = serializers.CharField()
    card_left = serializers.BooleanField()
    card_suspension_confirmed_on = serializers.DateField(allow_null=True)
    smartphone_left = serializers.BooleanField()
    smartphone_suspension_confirmed_on = serializers.DateField(allow_null=True)
    agent_set = serializers.BooleanField()
    agent_release_confirmed_on = serializers.DateField(allow_null=True)
    legal_representative = serializers.CharField()
    end_condition = serializers.CharField()
    representation_ended_on = serializers.DateField(allow_null=True)


class JuminSupportOutSerializer(serializers.Serializer):
    active = serializers.BooleanField(source="jumin_support_active")
    start = serializers.DateField(source="jumin_support_start", allow_null=True)
    end = serializers.DateField(source="jumin_support_end", allow_null=True)


class ExplanationsOutSerializer(serializers.Serializer):
    mynaportal = serializers.BooleanField(source="explained_mynaportal")
    jumin = serializers.BooleanField(source="explained_jumin")
    card_suspension = serializers.BooleanField(source="explained_card_suspension")
    agent_release = serializers.BooleanField(source="explained_agent_release")


class ChangeRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    action = serializers.CharField()
    status = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    withdrawal_requested_at = serializers.DateTimeField(
        allow_null=True, help_text="登録の取下げが申し出られた日時（所属長の承認で取下げ完了）")


class TargetDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    atena_no = serializers.CharField()
    standard_atena_no = serializers.CharField(allow_null=True, help_text="標準準拠システムの宛名番号（未登録は null）")
    name = serializers.CharField()
    name_kana = serializers.CharField()
    birth_date = serializers.DateField()
    harm_types = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    owning_department = serializers.CharField(source="owning_department.code")
    fled = serializers.BooleanField()
    basis = serializers.CharField()
    jumin_support = JuminSupportOutSerializer(source="*")
    explanations = ExplanationsOutSerializer(source="*")
    notes = serializers.CharField()
    origin = OriginOutSerializer(source="*")
    cases = CaseSerializer(many=True)
    change_requests = ChangeRequestSerializer(many=True, source="change_requests.all",
                                                    help_text="設定・解除の申請（新しい順）。承認・却下・取下げに使うID")
    created_at = serializers.DateTimeField()


class FlagStateSerializer(serializers.Serializer):
    flag_kind = serializers.ChoiceField(choices=FLAG_KINDS)
    desired = serializers.BooleanField()
    desired_at = serializers.DateTimeField(allow_null=True)
    reflected = serializers.BooleanField(allow_null=True, help_text="null: 中間サーバーから未報告")
    reflected_at = serializers.DateTimeField(allow_null=True)


class TargetFlagsSerializer(serializers.Serializer):
    target_id = serializers.IntegerField()
    flags = FlagStateSerializer(many=True)


class CaseConfirmationRequestSerializer(serializers.Serializer):
    procedure = serializers.ChoiceField(choices=PROCEDURE_CHOICES)
    confirmed_on = serializers.DateField()


class CaseConfirmationSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    procedure = serializers.CharField()
    confirmed_on = serializers.DateField()


class ApproveRequestSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RejectRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="却下の理由（必須）")


class WithdrawRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReleaseRequestCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(RELEASE_REASONS), help_text=" / ".join(
        f"{k}: {v}" for k, v in RELEASE_REASONS.items()))
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_empty=True,
                                  help_text="解除する類型（CaseAssessment）のID。省略・空は有効な類型すべて")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NoticeSerializer(serializers.Serializer):
    """A notice as the recipient department sees it: only what the shared list shows."""
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NoticeKind.choices,
                                   help_text="set: 設定 / release: 解除 / amend: 設定内容の変更")
    kind_display = serializers.CharField(source="get_kind_display")
    atena_no = serializers.CharField()
    name = serializers.CharField(help_text="氏名（共有一覧と同じ。通知した時点のもの）")
    message = serializers.CharField(help_text="受け取った所属が行うこと")
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True, default=None)
    # Set by the listing selector; an acknowledged notice (the acknowledge answer) is never overdue.
    overdue = serializers.BooleanField(default=False, help_text="NOTICE_ACK_DAYS 日を過ぎても未確認")


class NoticePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = NoticeSerializer(many=True)


class NoticeListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=100_000)


class ReminderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReminderKind.values)
    kind_display = serializers.CharField(source="label")
    target_id = serializers.IntegerField()
    case_id = serializers.IntegerField(allow_null=True, help_text="類型ごとの通知（majority, procedure_followup）のみ")
    due_on = serializers.DateField()
class GrantRequestSerializer(serializers.Serializer):
    department = serializers.CharField(max_length=20, help_text="閲覧を許可する所属の所属コード")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                   help_text="許可の理由（任意。閲覧の許可の決裁票に記載）")


class GrantedDepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TargetGrantsSerializer(serializers.Serializer):
    target_id = serializers.IntegerField()
    departments = GrantedDepartmentSerializer(many=True, help_text="登録した所属以外で閲覧を許可された所属")


class ReopenedChangeRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    action = serializers.CharField()


class TargetReopenedSerializer(serializers.Serializer):
    """The owning department registered its own released, withdrawn or rejected person (ADR 0029)."""

    id = serializers.IntegerField(help_text="対象者の番号（以前と同じ）")
    status = serializers.CharField()
    period = serializers.IntegerField(help_text="保護の期（第何期か）")
    change_request = ReopenedChangeRequestSerializer()
    registration = RegistrationRefSerializer()
    detail = serializers.CharField()


class PersonalCorrectionSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, help_text="訂正後の氏名")
    name_kana = serializers.CharField(required=False, help_text="訂正後の氏名（カナ）")
    birth_date = serializers.DateField(required=False, help_text="訂正後の生年月日")
    standard_atena_no = serializers.CharField(required=False,
                                              help_text="標準準拠システムの宛名番号（登録・訂正、15桁）")


class AmendmentRequestSerializer(serializers.Serializer):
    """For the schema only: victims/amendments.py parses the body (the cases as at intake)."""

    reason = serializers.CharField(help_text="変更の理由")
    add_cases = CaseInputSerializer(many=True, required=False, help_text="追加する類型（登録時と同じ形式）")
    personal = PersonalCorrectionSerializer(required=False,
                                            help_text="氏名・氏名カナ・生年月日・標準準拠システムの宛名番号の訂正")
    jumin_support = JuminSupportSerializer(required=False, help_text="住基DV等支援措置（変更後の内容）")


class MeasuresSerializer(serializers.Serializer):
    victim_flags = serializers.ListField(child=serializers.ChoiceField(choices=FLAG_KINDS))
    nondisclosure_code_on_victim = serializers.BooleanField()
    nondisclosure_code_on_abusers = serializers.ListField(child=serializers.CharField())


class AmendmentCreatedSerializer(serializers.Serializer):
    change_request = ReopenedChangeRequestSerializer()
    required_measures = MeasuresSerializer(help_text="承認後に必要となる措置（既存の類型と追加する類型による）")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="確認が必要な事項（18歳到達など）")


class AmendmentSerializer(serializers.Serializer):
    """One amendment of the history (ADR 0032): what was asked and, once approved, the changed
    values before and after (ISO dates)."""

    change_request = ReopenedChangeRequestSerializer(source="*")
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    requested = serializers.JSONField(help_text="申請の内容（personal・jumin_support・cases）")
    before = serializers.JSONField(allow_null=True, help_text="承認時点の変更前の値（承認前は null）")
    after = serializers.JSONField(allow_null=True, help_text="承認時点の変更後の値（承認前は null）")
    added_case_ids = serializers.ListField(child=serializers.IntegerField(), help_text="承認により追加された類型")


class TransferRequestSerializer(serializers.Serializer):
    department = serializers.CharField(max_length=20, help_text="移管先（受け入れる所属）の所属コード")
    reason = serializers.CharField(max_length=2000, help_text="移管の理由（必須）")


class TransferCreatedSerializer(serializers.Serializer):
    """A pending transfer of ownership, decided by the receiving department's head (ADR 0034)."""

    change_request = ReopenedChangeRequestSerializer()
