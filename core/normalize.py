"""Input normalisers for identifiers and names typed at a Japanese counter."""
import datetime
import re
import unicodedata

import jaconv

from core.errors import DomainError

_SPACES = re.compile(r"[\s\u3000]+")
# Control characters (NUL above all: PostgreSQL refuses it in text, which was a 500).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_MAX = 100  # Target.name, Target.name_kana, CaseAssessment.abuser_name
# 団体内統合宛名番号: 15 ASCII digits. The one pattern (normaliser, model constraint, adapter).
ATENA_PATTERN = r"^[0-9]{15}$"
_DIGITS_15 = re.compile(ATENA_PATTERN)


def normalize_atena_no(value: object, field: str = "atena_no", label: str = "団体内統合宛名番号") -> str:
    """Full-width digits and spaces (also ideographic) are accepted; the result is 15 ASCII digits.
    `label` names the number in the messages: the standard systems' 宛名番号 has the same
    form (ADR 0046)."""
    if value is None:
        raise DomainError(f"{label}を入力してください。", field)
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(value)))
    if not text:
        raise DomainError(f"{label}を入力してください。", field)
    if not _DIGITS_15.match(text):
        raise DomainError(f"{label}は15桁の数字で入力してください。", field)
    return text


STANDARD_ATENA_LABEL = "宛名番号（標準準拠システム）"


def normalize_standard_atena_no(value: object, field: str = "standard_atena_no") -> str | None:
    """The standard business systems' 宛名番号 (住民宛名番号 / 住登外者宛名番号), optional:
    empty is None (not recorded); otherwise 15 digits, normalized like atena_no (ADR 0046)."""
    if value is None or not _SPACES.sub("", unicodedata.normalize("NFKC", str(value))):
        return None
    return normalize_atena_no(value, field, STANDARD_ATENA_LABEL)


def normalize_kana(value: object, field: str = "name_kana") -> str:
    """Hiragana and half-width katakana become full-width katakana; spaces fold to one full-width space."""
    text = jaconv.hira2kata(jaconv.h2z(str(value or "").strip(), kana=True, ascii=False, digit=False))
    text = _SPACES.sub("\u3000", text).strip("\u3000")
    if not text:
        raise DomainError("氏名（カナ）を入力してください。", field)
    if len(text) > NAME_MAX:
        raise DomainError(f"氏名（カナ）は{NAME_MAX}文字以内で入力してください。", field)
    if not all(ch == "\u3000" or "\u30a0" <= ch <= "\u30ff" for ch in text):
        raise DomainError("氏名（カナ）はカタカナで入力してください。", field)
    return text


def normalize_name(value: object, field: str = "name") -> str:
    # No NFKC here: it would rewrite compatibility ideographs that are part of a legal name.
    text = _SPACES.sub("\u3000", jaconv.h2z(str(value or "").strip(), kana=True, ascii=False, digit=False)).strip(
        "\u3000"
    )
    if not text:
        raise DomainError("氏名を入力してください。", field)
    if len(text) > NAME_MAX:
        raise DomainError(f"氏名は{NAME_MAX}文字以内で入力してください。", field)
    refuse_control_characters(text, field, "氏名")
    return text


def refuse_control_characters(text: str, field: str, label: str) -> None:
    if _CONTROL.search(text):
        raise DomainError(f"{label}に使用できない文字（制御文字）が含まれています。", field)


def parse_date(
    value: object, field: str, errors: dict[str, str], label: str = "日付", required: bool = True
) -> datetime.date | None:
    """A date typed or sent as YYYY-MM-DD (or YYYY/MM/DD). Errors are collected into
    `errors[field]` so that every field at fault is reported at once."""
    if field in errors:  # already refused (e.g. wrong type)
        return None
    if value in (None, ""):
        if required:
            errors[field] = f"{label}を入力してください。"
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        errors[field] = f"{label}は YYYY-MM-DD の形式で入力してください。"
        return None
