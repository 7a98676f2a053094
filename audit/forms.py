import datetime

from django import forms
from django.utils import timezone

from .models import Outcome


class EventFilterForm(forms.Form):
    start = forms.DateField(label="開始日", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="終了日", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label="職員（ユーザー名）", required=False, max_length=150)
    department = forms.CharField(label="所属コード", required=False, max_length=20)
    action = forms.CharField(label="操作（前方一致）", required=False, max_length=60)
    target_id = forms.IntegerField(label="対象者ID", required=False, min_value=1)
    outcome = forms.ChoiceField(label="結果", required=False, choices=[("", "すべて")] + list(Outcome.choices))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - datetime.timedelta(days=6)
        if data["start"] > data["end"]:
            self.add_error("start", "開始日が終了日より後です。")
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label="開始日", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="終了日", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        data["end"] = data.get("end") or timezone.localdate()
        data["start"] = data.get("start") or data["end"] - datetime.timedelta(days=30)
        if data["start"] > data["end"]:
            self.add_error("start", "開始日が終了日より後です。")
        return data


class WhoHasSeenForm(forms.Form):
    target_id = forms.IntegerField(label="対象者ID", required=False, min_value=1)
    atena_no = forms.CharField(label="団体内統合宛名番号", required=False, max_length=40)

    def clean(self):
        data = super().clean()
        if not data.get("target_id") and not data.get("atena_no"):
            raise forms.ValidationError("対象者IDまたは団体内統合宛名番号を入力してください。")
        return data
