"""API shapes for targets. Validation of an intake lives in victims/intake.py (shared with
the screen); these serializers describe the body for the schema and render responses."""
from rest_framework import serializers

from flags import rules
from flags.rules import RELEASE_REASONS
from intermediary.flag_kinds import FLAG_KINDS

from .models import Basis, CaseType, HarmType, LegalRepresentative, NoticeKind, ReminderKind

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


class TargetCreateRequestSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="団体内統合宛名番号。全角数字・空白は正規化されます。")
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
    id = serializers.IntegerField()
    atena_no = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


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


class TransferRequestSerializer(serializers.Serializer):
    department = serializers.CharField(max_length=20, help_text="移管先（受け入れる所属）の所属コード")
    reason = serializers.CharField(max_length=2000, help_text="移管の理由（必須）")


class TransferCreatedSerializer(serializers.Serializer):
    """A pending transfer of ownership, decided by the receiving department's head (ADR 0034)."""

    change_request = ReopenedChangeRequestSerializer()
