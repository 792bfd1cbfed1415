"""Strict input types for API schemas: `true` is not an int, "5" is not 5, no control characters, limits refused.

Use these in every ninja/pydantic `*In`/`*Patch` schema instead of bare `int`, `bool`, `str` and `date`, so a
machine's bad value is a 422 with the field named instead of a 500 from the database or a poisoned export
(an openpyxl IllegalCharacterError in every later Excel download). Query parameters arrive as text and use
`QueryId`/`PageNumber`, which parse digits but keep the bounds.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

# The largest primary key and integer the databases hold (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
# Dates a construction roster can carry: no year-9999 sentinels, no pre-1900 typos.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

# C0 and C1 control characters and DEL (NUL included), lone surrogates (not encodable as UTF-8) and the
# Unicode non-characters U+FFFE/U+FFFF. Multi-line text keeps tab, line feed and carriage return.
_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MULTILINE_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def text_error(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as text (in Chinese), or None when it is clean."""
    if (_MULTILINE_BAD if multiline else _LINE_BAD).search(value):
        return "不能包含换行、制表符等控制字符或无效字符"
    return None


def _line(value: str) -> str:
    if err := text_error(value):
        raise ValueError(err)
    return value


def _multiline(value: str) -> str:
    if err := text_error(value, multiline=True):
        raise ValueError(err)
    return value


def _iso_date(value: Any) -> Any:
    """Only 'YYYY-MM-DD' text (or a date): no Unix timestamps, no datetimes, within MIN_DATE..MAX_DATE."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("日期无效") from None
    else:
        raise ValueError("应为日期（YYYY-MM-DD）")
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"日期应在 {MIN_DATE} 至 {MAX_DATE} 之间")
    return day


def text(*, max_length: int, min_length: int = 0, multiline: bool = False) -> Any:
    """A string of at most `max_length` characters without control characters (refused, never cut)."""
    return Annotated[
        str,
        StringConstraints(strict=True, min_length=min_length, max_length=max_length),
        AfterValidator(_multiline if multiline else _line),
    ]


# A primary key or other positive integer id in a JSON body: a JSON integer, not `true`, "5" or 5.0.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
# The same id as a query parameter (text by nature): digits only, still bounded.
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Flag = StrictBool
Day = Annotated[dt.date, BeforeValidator(_iso_date)]
