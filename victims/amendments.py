"""Amendments of an active target (ADR 0030–0032): what is asked, what it changes, and how
the approved change is applied and kept as before/after.

Pure parsing and the record's arithmetic: no audit, no policy, no locking — the services
(victims.services.amendment_request and the approval of an `amend` change request) lock
the target first and call these in their transaction. The cases to add are parsed exactly
as at intake (victims.intake.parse_cases), so the same refusals hold, judged against the
birth date as corrected."""
import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from core.errors import DomainError, ValidationFailed
from core.normalize import STANDARD_ATENA_LABEL, normalize_kana, normalize_name, normalize_standard_atena_no, parse_date
from flags import rules

from . import numbers
from .forms import case_label
from .intake import CaseInput, parse_cases
from .models import Amendment, CaseAssessment, CaseType, LegalRepresentative, ProtectionPeriod, Target

REASON_MAX = 2000
# standard_atena_no: the standard systems' 宛名番号 (ADR 0046), recorded or corrected here.
PERSONAL_FIELDS = ("name", "name_kana", "birth_date", "standard_atena_no")
PERSONAL_LABELS = {"name": "氏名", "name_kana": "氏名（カナ）", "birth_date": "生年月日",
                   "standard_atena_no": STANDARD_ATENA_LABEL}
JUMIN_LABELS = {"active": "住基DV等支援措置の対象", "start": "支援措置 開始日", "end": "支援措置 終了日"}
NOTHING_CHANGES = ("変更する内容がありません。追加する類型、訂正する氏名・生年月日、"
                   "または支援措置の内容を入力してください。")
MAJORITY_REACHED = (
    "訂正後の生年月日では本人は既に18歳以上です。親権者は成年者の法定代理人ではないため、②-II（親権者）の類型は"
    "解除するか他の類型で保護を続けるかを検討してください（通知一覧の「18歳到達」に表示されます）。"
)


@dataclass
class AmendmentInput:
    """An amendment as parsed: only what differs from the record at the time of parsing."""

    reason: str
    personal: dict[str, object] = field(default_factory=dict)  # field → new value (birth_date a date)
    jumin_support: dict[str, object] | None = None  # {"active", "start", "end"} when it changes
    cases: list[CaseInput] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"reason": self.reason, "personal": self.personal, "jumin_support": self.jumin_support,
                "cases": [dataclasses.asdict(c) for c in self.cases]}

    @classmethod
    def from_json(cls, stored: dict) -> "AmendmentInput":
        personal = dict(stored.get("personal") or {})
        if personal.get("birth_date"):
            personal["birth_date"] = datetime.date.fromisoformat(str(personal["birth_date"]))
        support = stored.get("jumin_support")
        if support is not None:
            support = {"active": bool(support["active"]),
                       **{k: datetime.date.fromisoformat(str(support[k])) if support.get(k) else None
                          for k in ("start", "end")}}
        return cls(reason=str(stored.get("reason", "")), personal=personal, jumin_support=support,
                   cases=[CaseInput(**c) for c in stored.get("cases") or []])


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _mapping(payload: dict, key: str, errors: dict[str, str]) -> dict | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        errors[key] = "値の形式が正しくありません（オブジェクトで指定してください）。"
        return None
    return value


def _text(value: object, key: str, errors: dict[str, str]) -> str | None:
    if isinstance(value, (dict, list, tuple)):
        errors[key] = "値の形式が正しくありません（文字列で指定してください）。"
        return None
    return str(value)


def jumin_support_of(target: Target) -> dict[str, object]:
    return {"active": target.jumin_support_active, "start": target.jumin_support_start,
            "end": target.jumin_support_end}


def parse_amendment(payload: object, *, target: Target, today: datetime.date) -> AmendmentInput:
    """Every field error at once, keyed as the request names them (personal.name,
    add_cases[0].abuser_atena_no, jumin_support.start …). A value equal to the record is no
    change; nothing changing at all is refused."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"non_field": "JSON オブジェクトで送信してください。"})
    errors: dict[str, str] = {}
    reason = _text(payload.get("reason") or "", "reason", errors) or ""
    reason = reason.strip()
    if not reason and "reason" not in errors:
        errors["reason"] = "変更の理由を入力してください。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"変更の理由は{REASON_MAX}文字以内で入力してください。"

    personal: dict[str, object] = {}
    given = _mapping(payload, "personal", errors) or {}
    for key, normalize in (("name", normalize_name), ("name_kana", normalize_kana)):
        if given.get(key) in (None, ""):
            continue
        raw = _text(given[key], f"personal.{key}", errors)
        try:
            value = normalize(raw, f"personal.{key}") if raw is not None else None
        except DomainError as exc:
            errors[f"personal.{key}"] = exc.message
            continue
        if value is not None and value != getattr(target, key):
            personal[key] = value
    if given.get("standard_atena_no") not in (None, ""):
        raw = _text(given["standard_atena_no"], "personal.standard_atena_no", errors)
        try:
            standard = normalize_standard_atena_no(raw, "personal.standard_atena_no") if raw is not None else None
        except DomainError as exc:
            errors["personal.standard_atena_no"] = exc.message
        else:
            if standard is not None and standard != target.standard_atena_no:
                personal["standard_atena_no"] = standard
    birth = parse_date(given.get("birth_date"), "personal.birth_date", errors, "生年月日", required=False)
    if birth and birth > today:
        errors["personal.birth_date"] = "生年月日が未来の日付です。"
    elif birth and birth != target.birth_date:
        personal["birth_date"] = birth

    support = _mapping(payload, "jumin_support", errors)
    jumin: dict[str, object] | None = None
    if support is not None:
        active = _bool(support.get("active"))
        start = parse_date(support.get("start"), "jumin_support.start", errors, "支援措置の開始日", required=active)
        end = parse_date(support.get("end"), "jumin_support.end", errors, "支援措置の終了日", required=False)
        if start and end and end < start:
            errors["jumin_support.end"] = "支援措置の終了日が開始日より前です。"
        wanted: dict[str, object] = {"active": active, "start": start, "end": end}
        if wanted != jumin_support_of(target):
            jumin = wanted

    cases: list[CaseInput] = []
    raw_cases = payload.get("add_cases")
    if raw_cases not in (None, []):
        case_errors: dict[str, str] = {}
        # The refusals of intake, judged on the birth date as it will be.
        cases = parse_cases(raw_cases, target.atena_no, personal.get("birth_date") or target.birth_date, today,
                            case_errors)
        errors.update({"add_" + key: message for key, message in case_errors.items()})
        if not case_errors:
            errors.update(duplicate_case_errors(target.cases.filter(active=True), cases))
    if errors:
        raise ValidationFailed(errors)
    data = AmendmentInput(reason=reason, personal=personal, jumin_support=jumin, cases=cases)
    if not (personal or jumin is not None or cases):
        raise ValidationFailed({"non_field": NOTHING_CHANGES})
    return data


def duplicate_case_errors(active: Iterable[CaseAssessment], cases: list[CaseInput]) -> dict[str, str]:
    """A case the record holds already is no addition: one ②-I and one ②-II at a time, one
    ①-I per abuser (as at intake)."""
    active = list(active)
    types = {c.case_type for c in active}
    abusers = {c.abuser_atena_no for c in active if c.case_type == CaseType.C1_I}
    errors: dict[str, str] = {}
    for i, case in enumerate(cases):
        if case.case_type == CaseType.C1_I and case.abuser_atena_no in abusers:
            errors[f"add_cases[{i}].abuser_atena_no"] = "この加害者の①-I は既に登録されています。"
        elif case.case_type != CaseType.C1_I and case.case_type in types:
            errors[f"add_cases[{i}].type"] = f"{CaseType(case.case_type).label.split(' ')[0]} は既に登録されています。"
    return errors


def measures_after(target: Target, data: AmendmentInput) -> rules.Measures:
    """The measures once the amendment is approved: the active cases and the added ones."""
    return rules.required_measures([*target.cases.filter(active=True), *data.cases], settings.FLAG_POLICY)


def majority_reached(target: Target, data: AmendmentInput, today: datetime.date) -> bool:
    """A corrected birth date by which an active ②-II case's parent is no longer the legal
    representative (ADR 0031): the amendment is taken (the record must be right) and the
    ②-II case stays until a release is decided; the majority reminder is due at once."""
    birth = data.personal.get("birth_date")
    return isinstance(birth, datetime.date) and rules.is_adult_on(birth, today) and _parent_represented(target)


def _parent_represented(target: Target) -> bool:
    """An active ②-II case with a parent as representative: the one whose end the birth date decides."""
    return target.cases.filter(active=True, case_type=CaseType.C2_II,
                               legal_representative=LegalRepresentative.PARENT).exists()


def case_from_input(target: Target, case: CaseInput, period: ProtectionPeriod | None = None) -> CaseAssessment:
    """An unsaved case row, to label or count what an amendment adds before it is approved."""
    return CaseAssessment(
        target=target, period=period, case_type=case.case_type, abuser_atena_no=case.abuser_atena_no,
        abuser_name=case.abuser_name,
        card_left=case.card_left, smartphone_left=case.smartphone_left, agent_set=case.agent_set,
        legal_representative=case.legal_representative, end_condition=case.end_condition,
    )


def amendment_apply(target: Target, amendment: Amendment) -> bool:
    """Apply an approved amendment to the locked target and keep its before/after (ADR 0032).
    Re-checked against the live record first (a case added meanwhile). Returns whether it
    changes protection for the other departments: a case added, or a birth date that moves
    a ②-II majority; a corrected name or kana, or 支援措置 dates, do not."""
    data = AmendmentInput.from_json(amendment.requested)
    duplicates = duplicate_case_errors(target.cases.filter(active=True), data.cases)
    if duplicates:
        raise DomainError(f"現在の登録内容では承認できません：{next(iter(duplicates.values()))}")
    if "standard_atena_no" in data.personal:  # taken by another target meanwhile?
        numbers.lock_numbers()
        if numbers.standard_number_taken(str(data.personal["standard_atena_no"]), target_id=target.pk):
            raise DomainError(f"現在の登録内容では承認できません：{numbers.STANDARD_TAKEN}")
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    personal_before = {k: getattr(target, k) for k in data.personal if getattr(target, k) != data.personal[k]}
    if personal_before:
        before["personal"] = personal_before
        after["personal"] = {k: data.personal[k] for k in personal_before}
        for key in personal_before:
            setattr(target, key, data.personal[key])
    if data.jumin_support is not None and data.jumin_support != jumin_support_of(target):
        before["jumin_support"] = jumin_support_of(target)
        after["jumin_support"] = data.jumin_support
        target.jumin_support_active = bool(data.jumin_support["active"])
        target.jumin_support_start = data.jumin_support["start"]  # type: ignore[assignment]
        target.jumin_support_end = data.jumin_support["end"]  # type: ignore[assignment]
    period = target.periods.order_by("-number").first()
    # The current period's (a target never reopened has none: its cases have no period).
    added = CaseAssessment.objects.bulk_create([case_from_input(target, c, period) for c in data.cases])
    if added:
        after["cases"] = [c.case_type for c in added]
    target.save()
    amendment.before, amendment.after = before, after
    amendment.save(update_fields=["before", "after"])
    amendment.added_cases.set(added)
    # A corrected birth date moves the majority of a parent-represented ②-II case (ADR 0031).
    return bool(added) or ("birth_date" in personal_before and _parent_represented(target))


@dataclass(frozen=True)
class ChangeRow:
    """One line of an amendment's before/after, as the history and the slip print it."""

    label: str
    before: str  # "" when not known (a rejected or withdrawn request's)
    after: str


def _shown(value: object) -> str:
    """A stored value as the screen shows it (dates come back from JSON as ISO text)."""
    if isinstance(value, bool):
        return "対象" if value else "対象外"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return "—" if value in (None, "") else str(value)


def change_rows(amendment: Amendment) -> list[ChangeRow]:
    """Before/after of an approved amendment (as at approval); of a pending one, the record
    as it stands and what is asked; of a rejected or withdrawn one, what was asked."""
    approved = amendment.after is not None
    after: dict = (amendment.after if approved else AmendmentInput.from_json(amendment.requested).as_json()) or {}
    if approved:
        before = amendment.before or {}
    elif amendment.change_request_id is None or amendment.change_request.status == "pending":
        # Not decided (or not yet asked, on the confirmation page): the record holds the values still.
        before = {"personal": {k: getattr(amendment.target, k) for k in PERSONAL_FIELDS},
                  "jumin_support": jumin_support_of(amendment.target)}
    else:  # rejected or withdrawn: what the record held then is not kept
        before = {}
    personal_before = before.get("personal") or {}
    rows = [ChangeRow(PERSONAL_LABELS[k], _shown(personal_before[k]) if k in personal_before else "", _shown(v))
            for k, v in (after.get("personal") or {}).items()]
    support_after = after.get("jumin_support")
    if support_after:
        support_before = before.get("jumin_support") or {}
        rows += [ChangeRow(JUMIN_LABELS[k], _shown(support_before[k]) if k in support_before else "", _shown(v))
                 for k, v in support_after.items()]
    if approved:
        labels = [case_label(c) for c in amendment.added_cases.all()]
    else:
        labels = [case_label(case_from_input(amendment.target, c))
                  for c in AmendmentInput.from_json(amendment.requested).cases]
    if labels:
        rows.append(ChangeRow("追加する類型" if not approved else "追加した類型", "", "、".join(labels)))
    return rows


def amendment_cases(amendment: Amendment) -> list[CaseAssessment]:
    """The cases an amendment adds: the rows it created once approved, unsaved ones before."""
    if amendment.after is not None:
        return list(amendment.added_cases.all())
    return [case_from_input(amendment.target, c) for c in AmendmentInput.from_json(amendment.requested).cases]
