from rest_framework import serializers

from victims.models import HarmType

from .jumin import EVENTS


class JuminMeasureSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="団体内統合宛名番号（全角可）")
    standard_atena_no = serializers.CharField(
        required=False, allow_null=True, help_text="住民記録システムの宛名番号（住民宛名番号、15桁・任意）。ADR 0046")
    event = serializers.ChoiceField(choices=EVENTS, help_text="start: 開始 / extend: 延長 / end: 終了")
    start = serializers.DateField(required=False, help_text="支援措置の開始日（start では必須）")
    end = serializers.DateField(required=False, help_text="支援措置の終了（予定）日（extend・end では必須）")
    name = serializers.CharField(required=False, help_text="未登録の方の start では必須")
    name_kana = serializers.CharField(required=False, help_text="未登録の方の start では必須")
    birth_date = serializers.DateField(required=False, help_text="未登録の方の start では必須")
    harm_types = serializers.ListField(child=serializers.ChoiceField(choices=HarmType.values), required=False)


class JuminPushRequestSerializer(serializers.Serializer):
    measures = JuminMeasureSerializer(many=True, help_text="最大10,000件。全件を検証し、全件適用か全件不適用")


class JuminResultSerializer(serializers.Serializer):
    atena_no = serializers.CharField()
    event = serializers.CharField()
    result = serializers.ChoiceField(choices=["created", "updated", "reopened", "review_task_created", "no_target"])


class JuminPushResponseSerializer(serializers.Serializer):
    results = JuminResultSerializer(many=True)


class ReviewTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    raised_by = serializers.CharField(source="created_by.username", help_text="確認事項を発生させた職員・システム")
    raised_by_department = serializers.CharField(source="created_by.department.name", allow_null=True,
                                                 help_text="その所属（他の所属からの申出では連絡先）")


class ReviewTaskCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
