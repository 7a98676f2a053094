import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError, ValidationFailed
from core.normalize import normalize_atena_no, normalize_kana, normalize_name
from tests.conftest import intake_payload
from victims.intake import parse_intake

TODAY = datetime.date(2026, 11, 23)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_width_digits_and_spaces_are_normalised():
    assert normalize_atena_no("１２３４ ５６７８\u3000９０１２３４５") == "123456789012345"


@pytest.mark.parametrize("bad", ["12345678901234", "1234567890123456", "12345678901234a", "", None, "-23456789012345"])
def test_malformed_atena_no_is_refused(bad):
    with pytest.raises(DomainError) as exc:
        normalize_atena_no(bad)
    assert exc.value.field == "atena_no"


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.booleans())
def test_any_15_digits_survive_in_either_width(digits, wide):
    assert normalize_atena_no(digits.translate(FULLWIDTH) if wide else digits) == digits


@given(st.text(max_size=30))
def test_atena_normaliser_returns_15_ascii_digits_or_refuses(text):
    try:
        out = normalize_atena_no(text)
    except DomainError:
        return
    assert len(out) == 15 and out.isascii() and out.isdigit()


def test_kana_is_normalised_to_full_width_katakana():
    assert normalize_kana("やまだ　ﾊﾅｺ") == "ヤマダ\u3000ハナコ"
    with pytest.raises(DomainError):
        normalize_kana("Yamada")


def test_name_keeps_compatibility_ideographs():
    assert normalize_name(" 﨑山  太郎 ") == "﨑山\u3000太郎"


def test_valid_intake_parses():
    data = parse_intake(intake_payload(atena_no="１２３４５６７８９０１２３４５"), today=TODAY)
    assert data.atena_no == "123456789012345" and data.cases[0].case_type == "2-I"


@pytest.mark.parametrize("overrides, field", [
    ({"atena_no": "123"}, "atena_no"),
    ({"cases": []}, "cases"),
    ({"fled": False}, "fled"),
    ({"basis": "x"}, "basis"),
    ({"harm_types": []}, "harm_types"),
    ({"birth_date": "2030-01-01"}, "birth_date"),
    ({"birth_date": "昭和"}, "birth_date"),
    ({"cases": [{"type": "1-I"}]}, "cases[0].abuser_atena_no"),
    ({"cases": [{"type": "2-I"}]}, "cases[0].card_left"),
    ({"cases": [{"type": "2-II"}]}, "cases[0].legal_representative"),
    ({"cases": [{"type": "3-X"}]}, "cases[0].type"),
    ({"jumin_support": {"active": True}}, "jumin_support.start"),
])
def test_bad_intake_names_the_field(overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        parse_intake(intake_payload(**overrides), today=TODAY)
    assert field in exc.value.errors
    assert exc.value.errors[field]  # a Japanese message for the clerk


def test_abuser_cannot_be_the_victim():
    payload = intake_payload(atena_no="123456789012345", cases=[{"type": "1-I", "abuser_atena_no": "123456789012345"}])
    with pytest.raises(ValidationFailed) as exc:
        parse_intake(payload, today=TODAY)
    assert "cases[0].abuser_atena_no" in exc.value.errors


def test_parent_is_no_legal_representative_of_an_adult():
    payload = intake_payload(birth_date="1990-01-01", cases=[{"type": "2-II", "legal_representative": "parent"}])
    with pytest.raises(ValidationFailed):
        parse_intake(payload, today=TODAY)
    payload["cases"][0]["legal_representative"] = "guardian"
    assert parse_intake(payload, today=TODAY).cases[0].legal_representative == "guardian"
