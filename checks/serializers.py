"""API shapes of the inquiry-time checks and the recipient filter."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flags.rules import INQUIRY, PROVISION

DIRECTIONS = (INQUIRY, PROVISION)


class InquiryCheckRequestSerializer(serializers.Serializer):
    atena_no = serializers.CharField(help_text="団体内統合宛名番号（全角数字・空白は正規化）")
    direction = serializers.ChoiceField(
        choices=DIRECTIONS, help_text="inquiry: 情報照会 / provision: 一時入力による情報提供"
    )


class InquiryCheckResultSerializer(serializers.Serializer):
    nondisclosure_code_required = serializers.BooleanField()


class BulkCheckJsonRequestSerializer(serializers.Serializer):
    atena_nos = serializers.ListField(
        child=serializers.CharField(),
        min_length=1,
        max_length=1_000_000,
        help_text="団体内統合宛名番号（文字列、全角可）。最大1,000,000件",
    )
    direction = serializers.ChoiceField(choices=DIRECTIONS)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart upload: binary in the schema (drf-spectacular would say `uri`,
    the shape of a stored file in a response, which no upload client can send)."""


class BulkCheckUploadRequestSerializer(serializers.Serializer):
    file = UploadField(help_text="CSV/TXT。1列目が宛名番号、見出し行は任意。UTF-8（BOM有無）または Shift_JIS/CP932")
    direction = serializers.ChoiceField(choices=DIRECTIONS)


class BulkCheckItemSerializer(serializers.Serializer):
    atena_no = serializers.CharField()
    nondisclosure_code_required = serializers.BooleanField()


class DuplicatesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    indexes = serializers.ListField(
        child=serializers.IntegerField(), help_text="results の添字（0始まり、先頭1,000件まで）"
    )


class BulkCheckResultSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=DIRECTIONS)
    count = serializers.IntegerField()
    required_count = serializers.IntegerField()
    duplicates = DuplicatesSerializer()
    results = BulkCheckItemSerializer(many=True, help_text="入力順")


class RecipientFilterRequestSerializer(serializers.Serializer):
    file = UploadField(help_text="お知らせ宛先ファイル（1列目が宛名番号。UTF-8〔BOM有無〕または Shift_JIS/CP932）")


class MalformedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    message = serializers.CharField()


class RecipientFilterReportSerializer(serializers.Serializer):
    encoding = serializers.CharField()
    line_count = serializers.IntegerField()
    record_count = serializers.IntegerField()
    kept_count = serializers.IntegerField()
    removed_count = serializers.IntegerField()
    malformed_count = serializers.IntegerField()
    malformed = MalformedLineSerializer(many=True)
    duplicate_count = serializers.IntegerField()
    duplicate_lines = serializers.ListField(child=serializers.IntegerField())
    content = serializers.CharField(help_text="除外後のファイル内容（元の文字コードで復号したもの）")


class InquiryFileStampRequestSerializer(serializers.Serializer):
    file = UploadField(help_text="照会依頼ファイル（INQUIRY_FILE_LAYOUT の定義どおりの固定長ファイル）")


class ProvisionFileCheckRequestSerializer(serializers.Serializer):
    file = UploadField(help_text="手動提供（一時入力）ファイル（PROVISION_FILE_LAYOUT の定義どおりの固定長ファイル）")
    refuse = serializers.BooleanField(
        required=False, default=False,
        help_text="true: 不開示とすべき行が「開示」のときは直さずにファイル全体を400で拒否する")


class InquiryFileStampReportSerializer(serializers.Serializer):
    layout = serializers.CharField()
    layout_version = serializers.CharField()
    line_count = serializers.IntegerField()
    required_count = serializers.IntegerField(help_text="不開示コードが必要な方の行")
    stamped_count = serializers.IntegerField(help_text="今回、不開示に設定した行")
    already_stamped_count = serializers.IntegerField(help_text="元から不開示だった行（どなたの行でも）")
    stamped_lines = serializers.ListField(child=serializers.IntegerField(),
                                          help_text="設定した行の行番号（先頭1,000件）")


class ProvisionFileCheckReportSerializer(serializers.Serializer):
    layout = serializers.CharField()
    layout_version = serializers.CharField()
    line_count = serializers.IntegerField()
    required_count = serializers.IntegerField(help_text="不開示該当フラグの方の行")
    fixed_count = serializers.IntegerField(help_text="「開示」から「不開示」に直した行")
    already_nondisclosure_count = serializers.IntegerField()
    fixed_lines = serializers.ListField(child=serializers.IntegerField(), help_text="直した行の行番号（先頭1,000件）")
