"""What the registry methods (参建单位, 班组, 项目人员) share: strict readers of their national fields, the per-record
savepoint, and the translation of a registry refusal into a record failure in the national field names.

A refusal's message is the registry's own Chinese text with each refused field named the national way
(`[idCardNumber]…`); any run of 11 or more digits is blanked as a last guard, so no personal number reaches an
answer or a log.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError, Forbidden
from smz.core.validators import id_number_error, normalize_id_number, phone_error
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import MethodResult
from smz.docking.methods.fields import FieldError
from smz.docking.protocol import SHANGHAI
from smz.registry.codes import code_table
from smz.registry.errors import RegistryErrorCode

# Registry field names → the national ones the vendor sent.
NATIONAL_NAMES = {
    "id_card_type": "idCardType",
    "id_number": "idCardNumber",
    "name": "workerName",
    "gender": "gender",
    "nation": "nation",
    "birth_date": "birthDate",
    "address": "address",
    "grant_org": "grantOrg",
    "id_valid_from": "startDate",
    "id_valid_to": "expiryDate",
    "phone": "cellPhone",
    "culture_level": "cultureLevelType",
    "politics_type": "politicsType",
    "bank_card": "payRollBankCardNumber",
    "bank_code": "payRollTopBankCode",
    "bank_name": "payRollBankName",
    "change_reason": "payRollBankCardNumber",
    "evidence_ref": "payRollBankCardNumber",
    "work_type": "workType",
    "work_role": "workRole",
    "team": "teamSysNo",
    "employer": "corpCode",
    "enterprise": "corpCode",
    "corp_code": "corpCode",
    "corp_type": "corpType",
    "entry_on": "entryTime",
    "exit_on": "exitTime",
    "pm_name": "pmName",
    "pm_phone": "pmPhone",
    "responsible_name": "responsiblePersonName",
    "responsible_phone": "responsiblePersonPhone",
    "remark": "remark",
}

# Registry refusals that a vendor handles by their own code.
_CODES = {
    RegistryErrorCode.WORKER_EXISTS_OTHER_EMPLOYER: DockingErrorCode.WORKER_ELSEWHERE,
    RegistryErrorCode.WORKER_NAME_MISMATCH: DockingErrorCode.NAME_MISMATCH,
    RegistryErrorCode.ALREADY_ON_PROJECT: DockingErrorCode.ALREADY_ON_PROJECT,
    RegistryErrorCode.CHANGE_EVIDENCE_REQUIRED: DockingErrorCode.CONTACT_CHANGE,
    RegistryErrorCode.PARTICIPANT_ROLE_RESERVED: DockingErrorCode.ROLE_RESERVED,
}
_REGISTRY = frozenset(RegistryErrorCode)
_DIGITS = re.compile(r"\d{11,}")

HEAD_IMAGE_MAX_BYTES = 50 * 1024


def scrub(message: str) -> str:
    return _DIGITS.sub("***", message)


def failure_of(exc: DomainError) -> tuple[str, str, str]:
    """(code, message, national field) of a registry refusal."""
    if isinstance(exc, Forbidden):
        return DockingErrorCode.FORBIDDEN_RECORD, scrub(exc.message), ""
    fields_ = (exc.detail or {}).get("fields") or {}
    named = [(NATIONAL_NAMES.get(f, f), scrub(str(reason))) for f, reason in fields_.items()]
    fallback = DockingErrorCode.RECORD_INVALID if named else DockingErrorCode.REFUSED
    code = _CODES.get(RegistryErrorCode(exc.code), fallback) if exc.code in _REGISTRY else fallback
    if code == DockingErrorCode.RECORD_INVALID:
        message = "；".join(f"[{name}]{reason}" for name, reason in named)
    else:
        message = scrub(exc.message)
    return str(code), message, named[0][0] if named else ""


class Refused(Exception):
    """One record refused by a docking rule (an order rule, a code table), with its own code."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.field = str(code), message, field


@contextmanager
def record(result: MethodResult, index: int) -> Iterator[None]:
    """One record in its own savepoint: a refusal undoes this record only and is kept in the result."""
    try:
        with transaction.atomic():
            yield
    except FieldError as exc:
        result.refuse(index, DockingErrorCode.RECORD_INVALID, scrub(exc.message), exc.field)
    except Refused as exc:
        result.refuse(index, exc.code, scrub(exc.message), exc.field)
    except DomainError as exc:
        result.refuse(index, *failure_of(exc))
    else:
        result.accepted += 1


def each(
    result: MethodResult, items: list[dict[str, Any]], handle: Callable[[int, dict], None]
) -> None:
    for index, item in enumerate(items):
        with record(result, index):
            handle(index, item)


# ---- strict readers of the registry methods' fields ------------------------------------------------------


def flag(data: dict[str, Any], name: str, *, required: bool = False) -> bool | None:
    """是否字典: the integers 1 and 0 (as the national interface sends them); no strings, no booleans."""
    value = fields.integer(data, name, required=required)
    if value is None:
        return None
    if value not in (0, 1):
        raise FieldError(name, "应为1(是)或0(否)")
    return value == 1


def day(
    data: dict[str, Any], name: str, *, today: dt.date | None, required: bool = False
) -> dt.date | None:
    """`yyyy-MM-dd` (or `yyyy-MM-dd HH:mm:ss`, whose date is taken); not after `today` unless it is None."""
    value = fields.text(data, name, required=required, max_length=19)
    if not value:
        return None
    parsed: dt.date | None = None
    try:
        if len(value) == 10:
            parsed = dt.date.fromisoformat(value)
        elif len(value) == 19:
            parsed = (
                dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI).date()
            )
    except ValueError:
        parsed = None
    if parsed is None or parsed.year < 1900:
        raise FieldError(name, "日期格式应为 yyyy-MM-dd")
    if today is not None and parsed > today:
        raise FieldError(name, "不能大于当天")
    return parsed


def exit_day(data: dict[str, Any], today: dt.date, name: str = "exitTime") -> dt.date | None:
    parsed = day(data, name, today=None)
    if parsed is not None and parsed > today:
        raise FieldError(name, "最晚为当前时间")
    return parsed


def today_of(now: dt.datetime) -> dt.date:
    return now.astimezone(SHANGHAI).date()


def code(data: dict[str, Any], name: str, table: str, *, required: bool = True) -> str:
    return fields.code(data, name, code_table(table), required=required)


def phone(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = fields.text(data, name, required=required, max_length=20)
    if value and phone_error(value):
        raise FieldError(name, "手机号码应为以1开头的11位数字")
    return value


def person_document(
    data: dict[str, Any], type_name: str, number_name: str, *, required: bool
) -> tuple[str, str]:
    """A person's 证件类型 and number, checked (a resident ID by its check digit); never echoed in a message."""
    kind = code(data, type_name, "id_card_type", required=required)
    number = normalize_id_number(fields.text(data, number_name, required=required, max_length=40))
    if number and not kind:
        raise FieldError(type_name, "不能为空")
    if kind and not number:
        raise FieldError(number_name, "不能为空")
    if kind == "01" and number and (err := id_number_error(number)):
        raise FieldError(number_name, err)
    return kind, number


def nation(data: dict[str, Any], name: str) -> str:
    """民族 as the ID card prints it (`汉`, `回`), its full name (`汉族`) or its two-digit code."""
    value = fields.text(data, name, required=False, max_length=20)
    if not value:
        return ""
    table = code_table("nation")
    if value in table:
        return value
    for key, label in table.items():
        if value in (label, label.removesuffix("族")):
            return key
    raise FieldError(name, "值超出范围或无效，请参见民族字典表")


def head_image(data: dict[str, Any], name: str = "headImage") -> bytes | None:
    """A base64 jpg/png of at most 50 KB (the national limit and texts)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(name, "应为Base64字符串")
    if len(value) > HEAD_IMAGE_MAX_BYTES * 4 // 3 + 100:
        raise FieldError(name, "大小超过限制50KB")
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FieldError(name, "不是有效的Base64图片") from None
    if len(raw) > HEAD_IMAGE_MAX_BYTES:
        raise FieldError(name, "大小超过限制50KB")
    if not (raw.startswith(b"\xff\xd8\xff") or raw.startswith(b"\x89PNG\r\n\x1a\n")):
        raise FieldError(name, "图片格式只支持jpg、jpeg、png")
    return raw
