"""Checksums of the national identifiers we store: GB 11643 (居民身份证号码) and GB 32100 (统一社会信用代码)."""

from __future__ import annotations

import datetime as dt
import re

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 digits: separators and a +86 country code dropped."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def phone_error(value: str) -> str | None:
    """Why a mobile number is invalid (in Chinese), or None when it is an 11-digit number starting with 1."""
    v = normalize_phone(value)
    if len(v) != 11 or v[0] != "1":
        return "手机号码应为以1开头的11位数字"
    return None


def id_number_error(value: str) -> str | None:
    """Why a 18-digit resident ID number is invalid (in Chinese), or None when it is valid."""
    v = normalize_id_number(value)
    if not _ID_RE.match(v):
        return "身份证号码应为18位，前17位为数字，末位为数字或X"
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    if id_number_check_char(v[:17]) != v[17]:
        return "身份证号码校验位错误"
    return None


def id_number_birth_date(value: str) -> dt.date:
    v = normalize_id_number(value)
    return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def id_number_sex(value: str) -> str:
    """'1' male / '2' female (GB/T 2261.1), from the 17th digit's parity."""
    return "1" if int(normalize_id_number(value)[16]) % 2 else "2"


# GB 32100-2015: 18 characters from a 31-symbol alphabet (no I, O, Z, S, V); MOD 31 check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """Why a 统一社会信用代码 is invalid (in Chinese), or None when it is valid."""
    v = value.strip().upper()
    if not _USCC_RE.match(v):
        return "统一社会信用代码应为18位，由数字和大写字母（不含I、O、Z、S、V）组成，第3-8位为行政区划码"
    if uscc_check_char(v[:17]) != v[17]:
        return "统一社会信用代码校验位错误"
    return None


def validate_id_number(value: str) -> None:
    from django.core.exceptions import ValidationError

    if err := id_number_error(value):
        raise ValidationError(err, code="invalid_id_number")


def validate_uscc(value: str) -> None:
    from django.core.exceptions import ValidationError

    if err := uscc_error(value):
        raise ValidationError(err, code="invalid_uscc")
