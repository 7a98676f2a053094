"""Validation of an intake (registration) payload, shared by the screen and the API.

Collects every field error at once so the clerk sees them all next to the fields."""
import datetime
from dataclasses import dataclass, field

from core.errors import DomainError, ValidationFailed
from core.normalize import (
    NAME_MAX,
    normalize_atena_no,
    normalize_kana,
    normalize_name,
    normalize_standard_atena_no,
    parse_date,
    refuse_control_characters,
)
from flags.rules import is_adult_on

from .models import Basis, CaseType, HarmType, LegalRepresentative, RequestOrigin

EXPLANATIONS = ("mynaportal", "jumin", "card_suspension", "agent_release")
# Every limit is checked here, before any database work: an over-long value used to reach
# the database and answer 500 (ADR 0015). The lengths are the model columns'.
NOTES_MAX = 2000
END_CONDITION_MAX = 200
CASES_MAX = 10  # the screen offers at most five (three abusers, ②-I, ②-II)
BODY_NAME_MAX = 100


@dataclass
class CaseInput:
    case_type: str
    abuser_atena_no: str = ""
    abuser_name: str = ""
    card_left: bool = False
    smartphone_left: bool = False
    agent_set: bool = False
    legal_representative: str = ""
    end_condition: str = ""
    active: bool = True


@dataclass
class IntakeData:
    atena_no: str
    name: str
    name_kana: str
    birth_date: datetime.date
    harm_types: list[str]
    fled: bool
    basis: str
    jumin_support_active: bool
    jumin_support_start: datetime.date | None
    jumin_support_end: datetime.date | None
    cases: list[CaseInput]
    explanations: dict[str, bool] = field(default_factory=dict)
    notes: str = ""
    # Where the request came from (ADR 0039); receipts stored before it default to the counter.
    request_origin: str = RequestOrigin.COUNTER
    request_body_name: str = ""
    request_received_on: datetime.date | None = None
    # The standard business systems' 宛名番号, optional (ADR 0046); receipts stored before it have none.
    standard_atena_no: str | None = None


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _capture(errors: dict, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        errors.setdefault(exc.field or "non_field", exc.message)
        return None


def _scalar(payload: dict, key: str, errors: dict, prefix: str = ""):
    """A value that must be one text/number/boolean: an object or array is refused (its repr
    would otherwise slip through str() into a name or a number)."""
    value = payload.get(key)
    if isinstance(value, (dict, list, tuple)):
        errors[prefix + key] = "値の形式が正しくありません（文字列で指定してください）。"
        return None
    return value


def _free_text(payload: dict, key: str, errors: dict, *, label: str, limit: int, prefix: str = "") -> str:
    """An optional free text, refused (never cut) when too long or holding control characters."""
    text = str(_scalar(payload, key, errors, prefix) or "")
    if len(text) > limit:
        errors[prefix + key] = f"{label}は{limit}文字以内で入力してください。"
        return ""
    try:
        refuse_control_characters(text.replace("\r", "").replace("\n", "").replace("\t", ""), prefix + key, label)
    except DomainError as exc:
        errors[prefix + key] = exc.message
        return ""
    return text


def _mapping(payload: dict, key: str, errors: dict) -> dict:
    value = payload.get(key) or {}
    if not isinstance(value, dict):
        errors[key] = "値の形式が正しくありません（オブジェクトで指定してください）。"
        return {}
    return value


def parse_intake(payload: dict, *, today: datetime.date) -> IntakeData:
    errors: dict[str, str] = {}
    atena_no = _capture(errors, normalize_atena_no, _scalar(payload, "atena_no", errors))
    standard = _capture(errors, normalize_standard_atena_no, _scalar(payload, "standard_atena_no", errors))
    name = _capture(errors, normalize_name, _scalar(payload, "name", errors))
    kana = _capture(errors, normalize_kana, _scalar(payload, "name_kana", errors))
    birth = parse_date(_scalar(payload, "birth_date", errors), "birth_date", errors, "生年月日")
    if birth and birth > today:
        errors["birth_date"] = "生年月日が未来の日付です。"

    harm_types = payload.get("harm_types") or []
    if isinstance(harm_types, str):
        harm_types = [harm_types]
    if not harm_types:
        errors["harm_types"] = "被害の種類（ア）を1つ以上選択してください。"
    elif not isinstance(harm_types, (list, tuple)) or any(
            not isinstance(h, str) or h not in HarmType.values for h in harm_types):
        errors["harm_types"] = "被害の種類に不明な値があります。"
        harm_types = []

    fled = _bool(payload.get("fled"))
    if not fled:
        errors["fled"] = "イ 加害者から避難していることが確認できない場合は設定対象者になりません。"
    basis = _scalar(payload, "basis", errors)
    if basis not in Basis.values:
        errors["basis"] = "ウ 設定の根拠（本人の申出／職権）を選択してください。"

    support = _mapping(payload, "jumin_support", errors)
    support_active = _bool(support.get("active"))
    support_start = parse_date(_scalar(support, "start", errors, "jumin_support."), "jumin_support.start", errors,
                          "支援措置の開始日", required=support_active)
    support_end = parse_date(_scalar(support, "end", errors, "jumin_support."), "jumin_support.end", errors,
                        "支援措置の終了日", required=False)
    if support_start and support_end and support_end < support_start:
        errors["jumin_support.end"] = "支援措置の終了日が開始日より前です。"

    cases = parse_cases(payload.get("cases"), atena_no, birth, today, errors)
    given_explanations = _mapping(payload, "explanations", errors)
    explanations = {k: _bool(given_explanations.get(k)) for k in EXPLANATIONS}
    notes = _free_text(payload, "notes", errors, label="備考", limit=NOTES_MAX)
    origin, body_name, received_on = _parse_origin(payload, today, errors)
    if errors or birth is None:  # birth is None only with an error recorded for it
        raise ValidationFailed(errors)
    return IntakeData(
        atena_no=atena_no, name=name, name_kana=kana, birth_date=birth, harm_types=sorted(set(harm_types)),
        fled=fled, basis=basis, jumin_support_active=support_active, jumin_support_start=support_start,
        jumin_support_end=support_end, cases=cases, explanations=explanations, notes=notes,
        request_origin=origin, request_body_name=body_name, request_received_on=received_on,
        standard_atena_no=standard,
    )


def _parse_origin(payload: dict, today: datetime.date, errors: dict) -> tuple[str, str, datetime.date | None]:
    """`origin: {kind, body, requested_on}`: the counter when absent; an outside body's
    設定依頼 needs the body's name and the day it was received (ADR 0039)."""
    origin = _mapping(payload, "origin", errors)
    kind = _scalar(origin, "kind", errors, "origin.") or RequestOrigin.COUNTER
    if kind not in RequestOrigin.values:
        errors["origin.kind"] = ("申出の経路は、本人（窓口）・配偶者暴力相談支援センター・児童相談所・"
                                 "他の市区町村・その他から選択してください。")
        return RequestOrigin.COUNTER, "", None
    if kind == RequestOrigin.COUNTER:
        return kind, "", None  # a name or date typed for the counter has no meaning: not kept
    body = _free_text(origin, "body", errors, label="設定依頼をした機関の名称", limit=BODY_NAME_MAX,
                      prefix="origin.").strip()
    if not body and "origin.body" not in errors:
        errors["origin.body"] = "設定依頼をした機関の名称を入力してください（例：〇〇県配偶者暴力相談支援センター）。"
    received = parse_date(_scalar(origin, "requested_on", errors, "origin."), "origin.requested_on", errors,
                          "設定依頼の受付日")
    if received and received > today:
        errors["origin.requested_on"] = "設定依頼の受付日が未来の日付です。"
    return kind, body, received


def parse_cases(raw, victim_atena, birth, today, errors) -> list[CaseInput]:
    if not isinstance(raw, list) or not raw:
        errors["cases"] = "該当する類型（①-I、②-I、②-II）を1つ以上選択してください。"
        return []
    if len(raw) > CASES_MAX:
        errors["cases"] = f"類型は{CASES_MAX}件以内で指定してください。"
        return []
    cases: list[CaseInput] = []
    seen_abusers: set[str] = set()
    for i, item in enumerate(raw):
        prefix = f"cases[{i}]"
        if not isinstance(item, dict):
            errors[prefix] = "類型の指定が正しくありません。"
            continue
        case_type = item.get("type") or item.get("case_type")
        if case_type not in CaseType.values:
            errors[f"{prefix}.type"] = "類型は 1-I、2-I、2-II のいずれかです。"
            continue
        case = CaseInput(case_type=case_type)
        if case_type == CaseType.C1_I:
            abuser = _capture(errors, normalize_atena_no, _scalar(item, "abuser_atena_no", errors, f"{prefix}."),
                              f"{prefix}.abuser_atena_no")
            if abuser and abuser == victim_atena:
                errors[f"{prefix}.abuser_atena_no"] = "加害者の宛名番号が被害者本人と同じです。"
            elif abuser in seen_abusers:
                errors[f"{prefix}.abuser_atena_no"] = "同じ加害者が重複しています。"
            if abuser:
                seen_abusers.add(abuser)
                case.abuser_atena_no = abuser
            case.abuser_name = _free_text(item, "abuser_name", errors, label="加害者の氏名", limit=NAME_MAX,
                                          prefix=f"{prefix}.")
        elif case_type == CaseType.C2_I:
            case.card_left = _bool(item.get("card_left"))
            case.smartphone_left = _bool(item.get("smartphone_left"))
            case.agent_set = _bool(item.get("agent_set"))
            if not (case.card_left or case.smartphone_left or case.agent_set):
                errors[f"{prefix}.card_left"] = (
                    "②-I はカード残置・証明書搭載スマホ残置・代理人設定のいずれかに該当する場合です。")
        else:
            rep = item.get("legal_representative")
            if rep not in LegalRepresentative.values:
                errors[f"{prefix}.legal_representative"] = (
                    "②-II は法定代理人の種類（親権者／成年後見人／その他）を選択してください。"
                )
            elif rep == LegalRepresentative.PARENT and birth and is_adult_on(birth, today):
                errors[f"{prefix}.legal_representative"] = "本人が18歳以上のため、親権者は法定代理人ではありません。"
            case.legal_representative = rep or ""
            case.end_condition = _free_text(item, "end_condition", errors, label="終了条件", limit=END_CONDITION_MAX,
                                            prefix=f"{prefix}.")
        cases.append(case)
    types = [c.case_type for c in cases]
    for single in (CaseType.C2_I, CaseType.C2_II):
        if types.count(single) > 1:
            errors["cases"] = f"{single} は1件だけ指定してください。"
    return cases


def intake_from_json(stored: dict) -> IntakeData:
    """An IntakeData back from a receipt's stored JSON (dataclasses.asdict, dates as ISO)."""
    values = dict(stored)
    for key in ("birth_date", "jumin_support_start", "jumin_support_end", "request_received_on"):
        values[key] = datetime.date.fromisoformat(values[key]) if values.get(key) else None
    values["cases"] = [CaseInput(**c) for c in values.get("cases", [])]
    return IntakeData(**values)
