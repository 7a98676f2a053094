"""Input normalisers for identifiers and names typed at a Japanese counter."""
import re
import unicodedata

import jaconv

from config.errors import DomainError

_SPACES = re.compile(r"[\s\u3000]+")
_DIGITS_15 = re.compile(r"^[0-9]{15}$")


def normalize_atena_no(value, field: str = "atena_no") -> str:
    """Full-width digits and spaces (also ideographic) are accepted; the result is 15 ASCII digits."""
    if value is None:
        raise DomainError("団体内統合宛名番号を入力してください。", field)
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(value)))
    if not text:
        raise DomainError("団体内統合宛名番号を入力してください。", field)
    if not _DIGITS_15.match(text):
        raise DomainError("団体内統合宛名番号は15桁の数字で入力してください。", field)
    return text


def normalize_kana(value: str, field: str = "name_kana") -> str:
    """Hiragana and half-width katakana become full-width katakana; spaces fold to one full-width space."""
    text = jaconv.hira2kata(jaconv.h2z(str(value or "").strip(), kana=True, ascii=False, digit=False))
    text = _SPACES.sub("\u3000", text).strip("\u3000")
    if not text:
        raise DomainError("氏名（カナ）を入力してください。", field)
    if not all(ch == "\u3000" or "\u30a0" <= ch <= "\u30ff" for ch in text):
        raise DomainError("氏名（カナ）はカタカナで入力してください。", field)
    return text


def normalize_name(value: str, field: str = "name") -> str:
    # No NFKC here: it would rewrite compatibility ideographs that are part of a legal name.
    text = _SPACES.sub("\u3000", jaconv.h2z(str(value or "").strip(), kana=True, ascii=False, digit=False)).strip("\u3000")
    if not text:
        raise DomainError("氏名を入力してください。", field)
    if len(text) > 100:
        raise DomainError("氏名は100文字以内で入力してください。", field)
    return text
