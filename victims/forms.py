"""Screen forms. They only collect input: every domain rule is checked by
victims.intake.parse_intake (shared with the API), whose errors are put back
next to the fields here."""
from django import forms

from core.errors import DomainError
from core.normalize import normalize_atena_no, normalize_kana
from flags import rules
from flags.rules import RELEASE_REASONS
from victims.models import Basis, CaseType, HarmType, LegalRepresentative, RequestOrigin, TargetStatus

ABUSER_SLOTS = (1, 2, 3)

# Short explanations from the guidance (2025 revision §3, seed 004 Point1), shown
# beside each checkbox so the clerk can explain measures the person does not know.
EXPLANATION_TEXT = {
    "mynaportal": "不開示該当フラグ・自動応答不可フラグを設定すると、本人もマイナポータルで自己情報や"
                  "やりとり履歴を見られなくなる（「回答内容なし」と表示される）など、利用が制限されることがあります。",
    "jumin": "生活の本拠が避難先にある場合は住民票を避難先へ移すのが原則です。避難先で住基DV等支援措置の"
             "対象者となれば、加害者からの住民票の写し等の請求を制限（拒否）できます。",
    "card_suspension": "マイナンバーカードや証明書搭載スマホを加害者の元に置いたまま避難した場合は、"
                       "マイナンバーカードコールセンターへ利用の一時停止を連絡するか失効させ、必要に応じて"
                       "個人番号の変更・カードの再交付・スマホ用電子証明書の再発行を行います。",
    "agent_release": "マイナポータルで加害者を代理人に設定している場合は、本人がマイナポータルにログインして"
                     "代理人設定を解除します。",
}


def _check(label, help_text=""):
    return forms.BooleanField(label=label, required=False, help_text=help_text)


def _text(label, max_length=200, **kwargs):
    return forms.CharField(label=label, required=False, max_length=max_length, **kwargs)


class IntakeForm(forms.Form):
    atena_no = _text("団体内統合宛名番号", 40, help_text="15桁。全角数字も入力できます。")
    standard_atena_no = _text("宛名番号（標準準拠システム）", 40,
                              help_text="任意。住民宛名番号・住登外者宛名番号（15桁）。分かる場合に入力します。")
    name = _text("氏名", 100)
    name_kana = _text("氏名（カナ）", 100)
    birth_date = _text("生年月日", 20, widget=forms.DateInput(attrs={"type": "date"}))

    harm_types = forms.MultipleChoiceField(
        label="ア 被害の種類（DV・虐待等被害者であること）", required=False,
        choices=HarmType.choices, widget=forms.CheckboxSelectMultiple)
    fled = _check("イ 加害者から避難している（住民票を移しているかは問いません）")
    basis = forms.ChoiceField(label="ウ 設定の根拠", required=False, choices=Basis.choices, widget=forms.RadioSelect)

    jumin_support_active = _check("住基DV等支援措置の対象者である（対象者は必ず設定対象者とします）")
    jumin_support_start = _text("支援措置 開始日", 20, widget=forms.DateInput(attrs={"type": "date"}))
    jumin_support_end = _text("支援措置 終了日", 20, widget=forms.DateInput(attrs={"type": "date"}))

    case_1_1 = _check("該当する")
    case_2_1 = _check("該当する")
    card_left = _check("マイナンバーカードを加害者の元に置いたまま避難した")
    smartphone_left = _check("証明書搭載スマホを加害者の元に置いたまま避難した")
    agent_set = _check("マイナポータルで加害者を代理人に設定している")
    case_2_2 = _check("該当する")
    legal_representative = forms.ChoiceField(
        label="加害者である法定代理人の種類", required=False,
        choices=LegalRepresentative.choices, widget=forms.RadioSelect)
    end_condition = _text("終了条件（例：本人が18歳になる日、後見人の交代）", 200)

    explained_mynaportal = _check("マイナポータルの利用制限を説明した", EXPLANATION_TEXT["mynaportal"])
    explained_jumin = _check("住民票の異動・住基DV等支援措置を説明した", EXPLANATION_TEXT["jumin"])
    explained_card_suspension = _check(
        "カード・電子証明書の利用停止等の手続を説明した", EXPLANATION_TEXT["card_suspension"]
    )
    explained_agent_release = _check("代理人設定の解除を説明した", EXPLANATION_TEXT["agent_release"])

    notes = _text("備考", 4000, widget=forms.Textarea(attrs={"rows": 3}))

    # Where the request came from (ADR 0039): a radio group, the body and date for an outside body.
    origin_kind = forms.ChoiceField(label="申出の経路", required=False, choices=RequestOrigin.choices,
                                    initial=RequestOrigin.COUNTER, widget=forms.RadioSelect)
    origin_body = _text("設定依頼をした機関の名称（例：〇〇県配偶者暴力相談支援センター、〇〇市）", 100)
    origin_requested_on = _text("設定依頼の受付日", 20, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for slot in ABUSER_SLOTS:
            self.fields[f"abuser_atena_no_{slot}"] = _text(f"加害者{slot} 団体内統合宛名番号", 40)
            self.fields[f"abuser_name_{slot}"] = _text(f"加害者{slot} 氏名（任意）", 100)
        # Errors that belong to the case section as a whole ("select at least one case").
        self.case_errors: list[str] = []

    def abuser_rows(self):
        return [(self[f"abuser_atena_no_{s}"], self[f"abuser_name_{s}"]) for s in ABUSER_SLOTS]

    def explanation_fields(self):
        return [self[f"explained_{k}"] for k in EXPLANATION_TEXT]

    def clean(self):
        data = super().clean()
        # Sub-facts typed without ticking 「該当する」 are ambiguous; make the clerk decide.
        abusers_typed = any(data.get(f"abuser_atena_no_{s}") or data.get(f"abuser_name_{s}") for s in ABUSER_SLOTS)
        if abusers_typed and not data.get("case_1_1"):
            self.add_error(
                "case_1_1", "加害者の情報が入力されています。①-I に該当する場合は「該当する」を選択してください。"
            )
        if any(data.get(k) for k in ("card_left", "smartphone_left", "agent_set")) and not data.get("case_2_1"):
            self.add_error("case_2_1", "②-I の事実が選択されています。該当する場合は「該当する」を選択してください。")
        if (data.get("legal_representative") or data.get("end_condition")) and not data.get("case_2_2"):
            self.add_error("case_2_2", "②-II の事実が入力されています。該当する場合は「該当する」を選択してください。")
        return data

    def to_payload(self) -> tuple[dict, list[dict]]:
        """The payload parse_intake expects, and for each case index the form fields
        its errors belong to."""
        d = self.cleaned_data
        cases, field_map = [], []
        if d.get("case_1_1"):
            slots = [s for s in ABUSER_SLOTS if d.get(f"abuser_atena_no_{s}") or d.get(f"abuser_name_{s}")] or [1]
            for s in slots:
                cases.append(
                    {
                        "type": "1-I",
                        "abuser_atena_no": d.get(f"abuser_atena_no_{s}", ""),
                        "abuser_name": d.get(f"abuser_name_{s}", ""),
                    }
                )
                field_map.append({"abuser_atena_no": f"abuser_atena_no_{s}", "type": "case_1_1"})
        if d.get("case_2_1"):
            cases.append(
                {
                    "type": "2-I",
                    "card_left": d.get("card_left", False),
                    "smartphone_left": d.get("smartphone_left", False),
                    "agent_set": d.get("agent_set", False),
                }
            )
            field_map.append({"card_left": "card_left", "type": "case_2_1"})
        if d.get("case_2_2"):
            cases.append(
                {
                    "type": "2-II",
                    "legal_representative": d.get("legal_representative", ""),
                    "end_condition": d.get("end_condition", ""),
                }
            )
            field_map.append({"legal_representative": "legal_representative", "type": "case_2_2"})
        payload = {
            "atena_no": d.get("atena_no", ""),
            "standard_atena_no": d.get("standard_atena_no", ""),
            "name": d.get("name", ""),
            "name_kana": d.get("name_kana", ""),
            "birth_date": d.get("birth_date", ""),
            "harm_types": d.get("harm_types") or [],
            "fled": d.get("fled", False),
            "basis": d.get("basis", ""),
            "jumin_support": {
                "active": d.get("jumin_support_active", False),
                "start": d.get("jumin_support_start", ""),
                "end": d.get("jumin_support_end", ""),
            },
            "cases": cases,
            "explanations": {k: d.get(f"explained_{k}", False) for k in EXPLANATION_TEXT},
            "notes": d.get("notes", ""),
            "origin": {"kind": d.get("origin_kind") or RequestOrigin.COUNTER, "body": d.get("origin_body", ""),
                       "requested_on": d.get("origin_requested_on", "")},
        }
        return payload, field_map

    def describe_errors(self) -> None:
        """Tie each field's error message to its input (the message's id is error-<name>)."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update({"aria-describedby": f"error-{name}", "aria-invalid": "true"})

    def add_intake_errors(self, errors: dict[str, str], field_map: list[dict]) -> None:
        """Place parse_intake's {"cases[0].abuser_atena_no": msg, ...} next to our fields."""
        for key, message in errors.items():
            field = self._field_for(key, field_map)
            if field == "cases":
                self.case_errors.append(message)
            elif field in self.fields:
                if field not in self.errors:  # the form's own message for it is more precise
                    self.add_error(field, message)
            else:
                self.add_error(None, message)

    @staticmethod
    def _field_for(key: str, field_map: list[dict]) -> str | None:
        simple = {"jumin_support.start": "jumin_support_start", "jumin_support.end": "jumin_support_end",
                  "origin.kind": "origin_kind", "origin.body": "origin_body",
                  "origin.requested_on": "origin_requested_on"}
        if key in simple:
            return simple[key]
        if key.startswith("cases["):
            index, _, sub = key[len("cases[") :].partition("].")
            try:
                mapping = field_map[int(index.rstrip("]"))]
            except (ValueError, IndexError):
                return "cases"
            return mapping.get(sub) or mapping["type"]
        return key


class AtenaForm(forms.Form):
    """One atena_no, normalised the same way as at intake (full-width digits, spaces)."""

    atena_no = _text("団体内統合宛名番号", 40, help_text="15桁。全角数字も入力できます。")

    def clean_atena_no(self):
        try:
            return normalize_atena_no(self.cleaned_data.get("atena_no"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class EitherNumberForm(AtenaForm):
    """A number that may be either of a target's (ADR 0046): the same 15 digits."""

    atena_no = _text("宛名番号（団体内統合宛名番号または標準準拠システムの宛名番号）", 40,
                     help_text="15桁。全角数字も入力できます。")


class ReleaseForm(forms.Form):
    reason = forms.ChoiceField(
        label="解除理由",
        choices=list(RELEASE_REASONS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "解除理由を選択してください。"},
    )
    cases = forms.TypedMultipleChoiceField(
        label="解除する類型",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "解除する類型を選択してください。"},
    )
    comment = _text("補足（任意）", 1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, active_cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(c.pk, case_label(c)) for c in active_cases]


def case_label(case) -> str:
    if case.abuser_atena_no:
        return f"{case.get_case_type_display()}（加害者 {case.abuser_atena_no}）"
    return case.get_case_type_display()


class ProcedureConfirmForm(forms.Form):
    procedure = forms.ChoiceField(choices=[(k, k) for k in rules.PROCEDURES])
    confirmed_on = forms.DateField(
        label="完了確認日",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "完了を確認した日を入力してください。",
            "invalid": "確認日は YYYY-MM-DD の形式で入力してください。",
        },
    )


class WorklistFilterForm(forms.Form):
    """The worklist's filters: they name no person, so they travel in the GET query."""

    status = forms.ChoiceField(label="状態", required=False, choices=[("", "すべて"), *TargetStatus.choices])
    case_type = forms.ChoiceField(label="類型（有効なもの）", required=False,
                                  choices=[("", "すべて"), *CaseType.choices])
    reminders_due = forms.BooleanField(label="期限の来た確認事項がある対象者のみ", required=False)


class NameSearchForm(forms.Form):
    """The name search: POSTed, so a person's name never lands in a URL or an access log."""

    name = forms.CharField(label="氏名または氏名（カナ）の一部", max_length=100, required=False,
                           help_text="ひらがな・半角カナでも検索できます。空白は無視します。所属が登録した対象者のみが対象です。")


class SharedListSearchForm(forms.Form):
    """The shared list's search (issue 14): POSTed, so neither a number nor a kana reaches a URL."""

    atena_no = forms.CharField(label="宛名番号（いずれかの番号）", max_length=40, required=False,
                               help_text="15桁。全角数字も入力できます。")
    kana = forms.CharField(label="氏名（カナ）の先頭", max_length=100, required=False,
                           help_text="ひらがな・半角カナでも検索できます。")

    def clean_atena_no(self):
        value = self.cleaned_data.get("atena_no")
        if not value:
            return ""
        try:
            return normalize_atena_no(value)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_kana(self):
        value = self.cleaned_data.get("kana")
        if not value:
            return ""
        try:
            return normalize_kana(value)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class OnwardRequestForm(forms.Form):
    municipality_name = _text("転出先の市区町村名（例：〇〇県〇〇市）", 100)
    municipality_code = _text("地方公共団体コード（6桁、任意）", 6)
    moved_on = _text("転出日（予定日）", 20, widget=forms.DateInput(attrs={"type": "date"}))
    note = _text("備考（依頼先に伝えること。類型・加害者などの詳細は書かないでください）", 1000,
                 widget=forms.Textarea(attrs={"rows": 3}))

    def add_onward_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            self.add_error(key if key in self.fields else None, message)


ADD_CASE_CHOICES = [("", "追加しない"), ("1-I", "①-I（加害者の宛名番号が判明した等）"),
                    ("2-I", "②-I（カード等の残置・代理人設定が判明した等）"),
                    ("2-II", "②-II（加害者が法定代理人であることが判明した等）")]

# victims.amendments.parse_amendment's error keys → this form's fields.
_AMEND_FIELDS = {
    "reason": "reason", "personal.name": "name", "personal.name_kana": "name_kana",
    "personal.birth_date": "birth_date", "personal.standard_atena_no": "standard_atena_no",
    "jumin_support.start": "jumin_support_start",
    "jumin_support.end": "jumin_support_end", "add_cases[0].type": "add_type",
    "add_cases[0].abuser_atena_no": "abuser_atena_no", "add_cases[0].abuser_name": "abuser_name",
    "add_cases[0].card_left": "add_card_left", "add_cases[0].legal_representative": "legal_representative",
    "add_cases[0].end_condition": "end_condition", "add_cases": "add_type",
}


class AmendForm(forms.Form):
    """設定内容の変更: one case to add (the intake's fields), corrections, 住基DV等支援措置.
    Rules are victims.amendments.parse_amendment's; its errors are put next to the fields."""

    reason = _text("変更の理由（必須）", 2000, widget=forms.Textarea(attrs={"rows": 2}))
    add_type = forms.ChoiceField(label="追加する類型", required=False, choices=ADD_CASE_CHOICES,
                                 widget=forms.RadioSelect)
    abuser_atena_no = _text("加害者の団体内統合宛名番号（①-I）", 40)
    abuser_name = _text("加害者の氏名（①-I・任意）", 100)
    add_card_left = _check("マイナンバーカードを加害者の元に置いたまま避難した（②-I）")
    add_smartphone_left = _check("証明書搭載スマホを加害者の元に置いたまま避難した（②-I）")
    add_agent_set = _check("マイナポータルで加害者を代理人に設定している（②-I）")
    legal_representative = forms.ChoiceField(
        label="加害者である法定代理人の種類（②-II）", required=False,
        choices=LegalRepresentative.choices, widget=forms.RadioSelect)
    end_condition = _text("終了条件（②-II・例：本人が18歳になる日）", 200)
    name = _text("訂正後の氏名", 100, help_text="訂正する場合のみ入力してください。")
    name_kana = _text("訂正後の氏名（カナ）", 100, help_text="訂正する場合のみ入力してください。")
    birth_date = _text("訂正後の生年月日", 20, widget=forms.DateInput(attrs={"type": "date"}),
                       help_text="訂正する場合のみ入力してください。②-II（親権者）の18歳到達日も再計算されます。")
    standard_atena_no = _text("宛名番号（標準準拠システム）", 40,
                              help_text="登録・訂正する場合のみ入力してください（15桁）。")
    change_jumin_support = _check("住基DV等支援措置の内容を変更する")
    jumin_support_active = _check("住基DV等支援措置の対象者である")
    jumin_support_start = _text("支援措置 開始日", 20, widget=forms.DateInput(attrs={"type": "date"}))
    jumin_support_end = _text("支援措置 終了日", 20, widget=forms.DateInput(attrs={"type": "date"}))

    def to_payload(self) -> dict:
        d = self.cleaned_data
        payload: dict = {"reason": d.get("reason", "")}
        case_type = d.get("add_type")
        if case_type:
            case: dict = {"type": case_type}
            if case_type == "1-I":
                case.update(abuser_atena_no=d.get("abuser_atena_no", ""), abuser_name=d.get("abuser_name", ""))
            elif case_type == "2-I":
                case.update(card_left=d.get("add_card_left", False),
                            smartphone_left=d.get("add_smartphone_left", False),
                            agent_set=d.get("add_agent_set", False))
            else:
                case.update(legal_representative=d.get("legal_representative", ""),
                            end_condition=d.get("end_condition", ""))
            payload["add_cases"] = [case]
        personal = {k: d[k] for k in ("name", "name_kana", "birth_date", "standard_atena_no") if d.get(k)}
        if personal:
            payload["personal"] = personal
        if d.get("change_jumin_support"):
            payload["jumin_support"] = {"active": d.get("jumin_support_active", False),
                                        "start": d.get("jumin_support_start", ""),
                                        "end": d.get("jumin_support_end", "")}
        return payload

    def add_amendment_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            field = _AMEND_FIELDS.get(key)
            if field is None and key.startswith("add_cases"):
                field = "add_type"
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
            elif field not in self.fields:
                self.add_error(None, message)
        self.describe_errors()

    def describe_errors(self) -> None:
        """Tie each field's error message to its input (the message's id is error-<name>)."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update({"aria-describedby": f"error-{name}", "aria-invalid": "true"})


class TransferForm(forms.Form):
    """所管の移管の申請 (ADR 0034): where to, and why (printed on the 決裁票)."""

    department = forms.ChoiceField(label="移管先の所属", error_messages={"required": "移管先の所属を選んでください。"})
    reason = forms.CharField(label="移管の理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "移管の理由を入力してください。"})

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "選択してください"), *[(d.code, d.name) for d in departments]]

    def describe_errors(self) -> "TransferForm":
        """Tie each field's error to it (aria-describedby), after every error is added."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"error-{name}"
        return self
