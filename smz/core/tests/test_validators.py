"""GB 11643 resident ID numbers and GB 32100 USCC codes (R1, R3): property tests plus known examples."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from smz.core.validators import (
    USCC_ALPHABET,
    id_number_birth_date,
    id_number_check_char,
    id_number_error,
    id_number_sex,
    normalize_id_number,
    uscc_check_char,
    uscc_error,
    validate_id_number,
    validate_uscc,
)

DIGITS = "0123456789"
ID_LAST = DIGITS + "X"


@st.composite
def id_numbers(draw) -> str:
    """A valid 18-character resident ID: any 6 region digits, any real date, any order code, computed check."""
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
    order = draw(st.integers(0, 999))
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_number_check_char(first17)


@st.composite
def usccs(draw) -> str:
    """A valid 统一社会信用代码: registration authority + kind, 6-digit region, 9-character body, check."""
    head = draw(st.text(USCC_ALPHABET, min_size=2, max_size=2))
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    body = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    first17 = head + region + body
    return first17 + uscc_check_char(first17)


def _substitute(value: str, position: int, char: str) -> str:
    return value[:position] + char + value[position + 1 :]


# --- GB 11643 ----------------------------------------------------------------------------------


@given(id_numbers())
def test_r3_every_generated_id_number_is_valid(idn):
    assert id_number_error(idn) is None
    validate_id_number(idn)


@given(id_numbers(), st.data())
def test_r3_any_single_substitution_in_an_id_number_is_rejected(idn, data):
    # ISO 7064 MOD 11-2: 11 is prime and no weight is 0 mod 11, so any single substitution changes the
    # weighted sum mod 11. Changing a date digit may still give a real date; the check digit catches it.
    position = data.draw(st.integers(0, 17), label="position")
    allowed = ID_LAST if position == 17 else DIGITS
    char = data.draw(st.sampled_from([c for c in allowed if c != idn[position]]), label="char")
    changed = _substitute(idn, position, char)
    assert id_number_error(changed) is not None
    with pytest.raises(ValidationError):
        validate_id_number(changed)


@given(id_numbers(), st.integers(0, 16))
def test_r3_a_letter_inside_the_digits_is_rejected(idn, position):
    assert id_number_error(_substitute(idn, position, "X")) is not None


@given(id_numbers())
def test_r3_birth_date_and_sex_are_derived_from_the_number(idn):
    assert id_number_birth_date(idn) == dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    assert id_number_sex(idn) == ("1" if int(idn[16]) % 2 else "2")


@pytest.mark.parametrize(
    ("idn", "birth", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "2"),  # GB 11643 example
        ("440524188001010014", dt.date(1880, 1, 1), "1"),
    ],
)
def test_r3_known_id_numbers(idn, birth, sex):
    assert id_number_error(idn) is None
    assert id_number_birth_date(idn) == birth
    assert id_number_sex(idn) == sex


def test_r3_id_number_is_normalised_lowercase_x_and_spaces():
    assert normalize_id_number(" 110105 19491231 002x ") == "11010519491231002X"
    assert id_number_error("11010519491231002x") is None
    assert id_number_error("110105 19491231 002X") is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "18位"),
        ("1101051949123100", "18位"),
        ("11010519491231002XX", "18位"),
        ("11010519491231002Y", "18位"),
        ("A1010519491231002X", "18位"),
        ("110105194912310021", "校验位"),
        ("110105195002300023", "出生日期"),  # 30 February
        ("110105194913310020", "出生日期"),  # month 13
    ],
)
def test_r3_invalid_id_numbers_say_why_in_chinese(value, reason):
    err = id_number_error(value)
    assert err is not None and reason in err


def test_r3_birth_date_check_is_done_before_the_checksum():
    first17 = "11010519990229001"  # 1999 is not a leap year
    assert id_number_error(first17 + id_number_check_char(first17)) == "身份证号码中的出生日期无效"
    leap = "11010520000229001"
    assert id_number_error(leap + id_number_check_char(leap)) is None


# --- GB 32100 ----------------------------------------------------------------------------------


@given(usccs())
def test_r1_every_generated_uscc_is_valid(code):
    assert uscc_error(code) is None
    validate_uscc(code)


@given(usccs(), st.data())
def test_r1_any_single_substitution_in_a_uscc_is_rejected(code, data):
    # MOD 31: 31 is prime and every weight (3^i mod 31) is non-zero, so one changed symbol always shows.
    position = data.draw(st.integers(0, 17), label="position")
    allowed = DIGITS if 2 <= position <= 7 else USCC_ALPHABET
    char = data.draw(st.sampled_from([c for c in allowed if c != code[position]]), label="char")
    changed = _substitute(code, position, char)
    assert uscc_error(changed) == "统一社会信用代码校验位错误"
    with pytest.raises(ValidationError):
        validate_uscc(changed)


@given(usccs(), st.integers(0, 17), st.sampled_from("IOZSV"))
def test_r1_letters_outside_the_gb32100_alphabet_are_rejected(code, position, char):
    assert uscc_error(_substitute(code, position, char)) is not None


@given(usccs(), st.integers(2, 7), st.sampled_from("ABCDEFGHJKLMNPQRTUWXY"))
def test_r1_the_region_part_of_a_uscc_must_be_digits(code, position, char):
    assert "行政区划码" in uscc_error(_substitute(code, position, char))


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_r1_known_usccs(code):
    assert uscc_error(code) is None
    assert uscc_error(code.lower()) is None
    assert uscc_error(f"  {code} ") is None


@pytest.mark.parametrize(
    "code", ["", "91350100M000100Y4", "91350100M000100Y44", "91350100M0001O0Y43"]
)
def test_r1_invalid_usccs_are_refused(code):
    assert uscc_error(code) is not None
