"""Money helpers: amounts live in integer fen (分); these print and parse them without floats."""

from __future__ import annotations

import re

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
# Thousands separators only in full groups of three ("1,234.50"; "1,23.50" is a typo, not a number).
_YUAN_TEXT = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d{1,2}))?", re.ASCII)
_EXTRA_DECIMALS = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{3,}", re.ASCII)


def _check_int(fen: int) -> None:
    # bool is an int and a float may hide a rounding error: both are caller bugs for money.
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money must be integer fen, got {type(fen).__name__}")


def yuan(fen: int, *, grouping: bool = True) -> str:
    """Integer fen → yuan with two decimals (123450 → "1,234.50"; "1234.50" without grouping)."""
    _check_int(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouping else f"{sign}{whole}.{cents:02d}"


def _four(n: int) -> str:
    """1..9999 in capital numerals, one 零 for any run of zeros between digits."""
    out: list[str] = []
    pending_zero = False
    for digit, unit in zip(f"{n:04d}", _SMALL_UNITS, strict=True):
        if digit == "0":
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[int(digit)] + unit)
    return "".join(out)


def _whole_words(n: int) -> str:
    """A positive whole number of yuan in capital numerals, grouped by 亿 and 万."""
    for size, name in ((10**8, "亿"), (10**4, "万")):
        if n >= size:
            high, rest = divmod(n, size)
            words = _whole_words(high) + name
            if rest:
                # A gap below the group (万 then no 仟) is read aloud, so it is written: 壹万零壹佰.
                words += ("零" if rest < size // 10 else "") + _whole_words(rest)
            return words
    return _four(n)


def yuan_in_words(fen: int) -> str:
    """Amount in capital numerals (大写金额) as bills and contracts write it: 123450 → 壹仟贰佰叁拾肆元伍角整."""
    _check_int(fen)
    if fen < 0:
        raise ValueError("amount in words must not be negative")
    whole, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = _whole_words(whole) + "元" if whole else ""
    # PBOC rules for filling in bills (正确填写票据和结算凭证的基本规定): "整" after 元 or 角, never after 分;
    # 零 after 元 when 角 is zero but 分 is not.
    if not cents:
        return (words or "零元") + "整"
    if not fen_digit:
        return words + _DIGITS[jiao] + "角整"
    if not jiao:
        return words + ("零" if whole else "") + _DIGITS[fen_digit] + "分"
    return words + _DIGITS[jiao] + "角" + _DIGITS[fen_digit] + "分"


def parse_yuan(text: str) -> int:
    """Yuan as a bank writes it ("1234.50", "1,234.50", "¥12") → exact integer fen; ValueError in Chinese."""
    cleaned = text.strip().lstrip("¥￥").strip()
    if not cleaned:
        raise ValueError("金额为空")
    match = _YUAN_TEXT.fullmatch(cleaned)
    if match is None:
        if _EXTRA_DECIMALS.fullmatch(cleaned):
            raise ValueError(f"金额“{text.strip()}”超过两位小数")
        raise ValueError(f"金额“{text.strip()}”格式不正确，应为如 1234.50 的元金额")
    # Whole and fraction are read as integers separately: exact, no float and no rounding anywhere.
    return int(match["int"].replace(",", "")) * 100 + int((match["frac"] or "").ljust(2, "0"))
