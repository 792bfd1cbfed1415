"""Money helpers: fen printed as yuan, in capital numerals (大写), and parsed back exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smz.core.money import parse_yuan, yuan, yuan_in_words


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (100, "1.00"),
        (123450, "1,234.50"),
        (100000000, "1,000,000.00"),
        (-5, "-0.05"),
        (-123456, "-1,234.56"),
    ],
)
def test_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


def test_yuan_without_grouping_is_for_machines() -> None:
    assert yuan(123456789, grouping=False) == "1234567.89"
    assert yuan(-5, grouping=False) == "-0.05"


@pytest.mark.parametrize("bad", [1.5, Decimal("1.50"), True, "100"])
def test_yuan_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError):
        yuan(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角整"),
        (11, "壹角壹分"),
        (100, "壹元整"),
        (105, "壹元零伍分"),
        (150, "壹元伍角整"),
        (1000, "壹拾元整"),
        (1100, "壹拾壹元整"),
        (10005, "壹佰元零伍分"),
        (10100, "壹佰零壹元整"),
        (100000, "壹仟元整"),
        (100100, "壹仟零壹元整"),
        (101000, "壹仟零壹拾元整"),
        (123450, "壹仟贰佰叁拾肆元伍角整"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (1000000, "壹万元整"),
        (1010000, "壹万零壹佰元整"),
        (1001000, "壹万零壹拾元整"),
        (1100000, "壹万壹仟元整"),
        (1640902, "壹万陆仟肆佰零玖元零贰分"),
        (10000000, "壹拾万元整"),
        (10010000, "壹拾万零壹佰元整"),
        (100000100, "壹佰万零壹元整"),
        (1000000005, "壹仟万元零伍分"),
        (1000000000, "壹仟万元整"),
        (1234567800, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元整"),
        (10000000000, "壹亿元整"),
        (10001000000, "壹亿零壹万元整"),
        (10100000000, "壹亿零壹佰万元整"),
        (11000000000, "壹亿壹仟万元整"),
        (100020000000000, "壹万零贰亿元整"),
        (99999999999, "玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_yuan_in_words(fen: int, words: str) -> None:
    assert yuan_in_words(fen) == words


def test_yuan_in_words_refuses_negative_and_floats() -> None:
    with pytest.raises(ValueError, match="negative"):
        yuan_in_words(-1)
    with pytest.raises(TypeError):
        yuan_in_words(12.5)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**15))
def test_yuan_in_words_is_well_formed(fen: int) -> None:
    words = yuan_in_words(fen)
    assert "零零" not in words
    assert not words.startswith("零") or fen == 0
    assert words.endswith("整") == (fen % 10 == 0)
    assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0.10", 10),
        ("0.1", 10),
        ("1234.50", 123450),
        ("1,234.56", 123456),
        ("1,234,567.89", 123456789),
        ("12", 1200),
        (" 7.05 ", 705),
        ("¥88.00", 8800),
        ("0", 0),
        ("9999999999999.99", 999999999999999),
    ],
)
def test_parse_yuan_is_exact(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.345", "超过两位小数"),
        ("1,234.567", "超过两位小数"),
        ("", "金额为空"),
        ("   ", "金额为空"),
        ("1,23.50", "格式不正确"),
        ("12,34", "格式不正确"),
        ("-5.00", "格式不正确"),
        ("1e3", "格式不正确"),
        ("abc", "格式不正确"),
        ("1.", "格式不正确"),
        (".5", "格式不正确"),
        ("NaN", "格式不正确"),
    ],
)
def test_parse_yuan_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_yuan(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_parse_yuan_reads_what_yuan_prints(fen: int) -> None:
    assert parse_yuan(yuan(fen)) == fen
    assert parse_yuan(yuan(fen).replace(",", "")) == fen
