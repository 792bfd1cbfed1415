"""Strict readers of the national field formats, shared by the method modules: each raises FieldError with the
field's name and a Chinese reason; none coerces a number into a string or the reverse."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smz.docking.protocol import SHANGHAI


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"[{field}]{message}")
        self.field = field
        self.message = f"[{field}]{message}"


def text(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 200) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise FieldError(name, "不能为空")
        return ""
    if not isinstance(value, str):
        raise FieldError(name, "应为字符串")
    value = value.strip()
    if len(value) > max_length:
        raise FieldError(name, f"长度不能超过{max_length}")
    return value


def integer(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise FieldError(name, "不能为空")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(name, "应为整数")
    return value


def code(data: dict[str, Any], name: str, table: dict[str, str], *, required: bool = True) -> str:
    value = text(data, name, required=required, max_length=8)
    if value and value not in table:
        raise FieldError(name, "值超出范围或无效，请参见代码表")
    return value


def date(
    data: dict[str, Any], name: str, *, today: dt.date, required: bool = True
) -> dt.date | None:
    value = text(data, name, required=required, max_length=10)
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldError(name, "日期格式应为 yyyy-MM-dd")
    if parsed > today:
        raise FieldError(name, "不能大于当天")
    return parsed


def moment(data: dict[str, Any], name: str, *, now: dt.datetime) -> dt.datetime:
    """`yyyy-MM-dd HH:mm:ss` in Shanghai time → an aware datetime, not after now."""
    value = text(data, name, max_length=19)
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise FieldError(name, "时间格式应为 yyyy-MM-dd HH:mm:ss") from None
    if parsed > now + dt.timedelta(minutes=5):
        raise FieldError(name, "不能大于当前时间")
    return parsed


def month(data: dict[str, Any], name: str, *, today: dt.date) -> dt.date:
    value = text(data, name, max_length=7)
    try:
        parsed = dt.date.fromisoformat(f"{value}-01") if len(value) == 7 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldError(name, "月份格式应为 yyyy-MM")
    if parsed > today.replace(day=1):
        raise FieldError(name, "不能大于今天")
    return parsed


def records(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    if not isinstance(value, list) or not value:
        raise FieldError(name, "应为非空数组")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise FieldError(f"{name}[{i}]", "应为对象")
    return value


def page(data: dict[str, Any]) -> tuple[int, int]:
    """pageIndex (from 0) and pageSize (1–100) of a query; refused, never clamped."""
    index = integer(data, "pageIndex", required=False)
    size = integer(data, "pageSize", required=False)
    index = 0 if index is None else index
    size = 50 if size is None else size
    if index < 0:
        raise FieldError("pageIndex", "不能小于0")
    if not 1 <= size <= 100:
        raise FieldError("pageSize", "应在1到100之间")
    return index, size
