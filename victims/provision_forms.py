"""The screen form of a manual-provision decision. It only collects input: every rule is
checked by victims.provisions.parse_provision_request (shared with the API), whose errors
are put back next to the fields here."""
from django import forms

from .models import ProvisionDecisionKind, ProvisionDisclosure


class ProvisionDecisionForm(forms.Form):
    atena_no = forms.CharField(label="団体内統合宛名番号", required=False, max_length=40,
                               help_text="照会を受けた方の番号（15桁）。全角数字も入力できます。")
    inquirer = forms.CharField(label="照会機関名", required=False, max_length=100)
    info_code = forms.CharField(label="特定個人情報名コード", required=False, max_length=40,
                                help_text="「TM」に続く14桁の数字（例：TM00000000000003）")
    received_at = forms.CharField(label="照会の受付日時", required=False, max_length=40,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    decision = forms.ChoiceField(label="判断", required=False, choices=ProvisionDecisionKind.choices,
                                 widget=forms.RadioSelect)
    disclosure = forms.ChoiceField(label="提供の記録の開示・不開示", required=False,
                                   choices=ProvisionDisclosure.choices, initial=ProvisionDisclosure.NONDISCLOSURE,
                                   widget=forms.RadioSelect,
                                   help_text="手動での提供では、この設定が不開示該当フラグより優先されます。必ず不開示です。")
    note = forms.CharField(label="判断の理由・確認した事項", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="照会者が本人か加害者かの確認など")

    def payload(self) -> dict:
        return {name: self.data.get(name, "") for name in self.fields}

    def add_provision_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        self.describe_errors()

    def describe_errors(self) -> None:
        """Tie each field to its error message (the ids components/field.html gives them)."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = f"error-{name}"
                attrs["aria-invalid"] = "true"


class RejectProvisionForm(forms.Form):
    reason = forms.CharField(label="却下の理由", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
