from django import forms

from flags.rules import INQUIRY, PROVISION
from victims.forms import AtenaForm

DIRECTIONS = [(INQUIRY, "情報照会（この人について照会する）"), (PROVISION, "手入力での情報提供（一時入力で提供する）")]


class InquiryCheckForm(AtenaForm):
    direction = forms.ChoiceField(
        label="確認する場面",
        choices=DIRECTIONS,
        widget=forms.RadioSelect,
        initial=INQUIRY,
        error_messages={"required": "確認する場面（照会／手入力での提供）を選択してください。"},
    )
