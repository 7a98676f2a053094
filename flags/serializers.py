"""API shapes for change requests, releases and the inquiry-time check."""
from rest_framework import serializers

from .rules import INQUIRY, PROVISION, RELEASE_REASONS

DIRECTIONS = (INQUIRY, PROVISION)


class ApproveRequestSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RejectRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="却下の理由（必須）")


class ChangeRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    action = serializers.CharField()
    status = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class ReleaseRequestCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(RELEASE_REASONS), help_text=" / ".join(
        f"{k}: {v}" for k, v in RELEASE_REASONS.items()))
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_empty=True,
                                  help_text="解除する類型（CaseAssessment）のID。省略・空は有効な類型すべて")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class InquiryCheckRequestSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="団体内統合宛名番号（全角数字・空白は正規化）")
    direction = serializers.ChoiceField(choices=DIRECTIONS, help_text="inquiry: 情報照会 / provision: 一時入力による情報提供")


class InquiryCheckResultSerializer(serializers.Serializer):
    nondisclosure_code_required = serializers.BooleanField()
