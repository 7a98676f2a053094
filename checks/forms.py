from django import forms

from flags.rules import INQUIRY, PROVISION
from victims.forms import AtenaForm

DIRECTIONS = [(INQUIRY, "情報照会（この人について照会する）"), (PROVISION, "手入力での情報提供（一時入力で提供する）")]


def direction_field() -> forms.ChoiceField:
    """Inquiry or manual provision: the one field of the single and the bulk check screens."""
    return forms.ChoiceField(
        label="確認する場面",
        choices=DIRECTIONS,
        widget=forms.RadioSelect,
        initial=INQUIRY,
        error_messages={"required": "確認する場面（照会／手入力での提供）を選択してください。"},
    )


class InquiryCheckForm(AtenaForm):
    direction = direction_field()
