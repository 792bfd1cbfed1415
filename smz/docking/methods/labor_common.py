"""What the labor methods (contract, entry_exit, attendance, payroll, training) share: the national code tables
they read, a record's person, and a service's refusal as one Chinese sentence.

Order rule (附件8, the national platform's): 参建单位 → 班组 → 项目人员 → 合同/进退场/考勤/工资/培训. A person
is "on the project" for these methods when an employment of him exists there (ProjectWorker.Add made it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from smz.core.errors import DomainError
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, RequestRefused
from smz.docking.methods.fields import FieldError
from smz.docking.protocol import SHANGHAI
from smz.docking.selectors.national import (
    employments_on_project,
    enterprise_on_project,
    team_on_project,
    worker_by_document,
)

# 证件类型 (national code table; anchors §2b).
ID_CARD_TYPES: dict[str, str] = {
    "01": "居民身份证",
    "02": "军官证",
    "03": "武警警官证",
    "04": "士兵证",
    "05": "军队离退休干部证",
    "06": "残疾人证",
    "07": "残疾军人证（1-8级）",
    "08": "护照",
    "09": "港澳同胞回乡证",
    "10": "港澳居民来往内地通行证",
    "11": "中华人民共和国往来港澳通行证",
    "12": "台湾居民来往大陆通行证",
    "13": "大陆居民往来台湾通行证",
    "14": "外交官证",
    "15": "领事馆证",
    "16": "海员证",
    "17": "香港身份证",
}


@dataclass
class Person:
    """A record's person as the methods need him: who, and his employments on the project (oldest first)."""

    worker: Any
    employments: list[Any]

    def of_corp(self, enterprise: Any) -> list[Any]:
        return [e for e in self.employments if e.employer_id == enterprise.pk]


def person(call: Call, item: dict[str, Any], what: str) -> Person:
    """The record's person, who must be on the project (项目人员 uploaded first); `what` names the data
    in the refusal, e.g. 劳动合同. The message never carries the number."""
    id_type = fields.code(item, "idCardType", ID_CARD_TYPES)
    id_number = fields.text(item, "idCardNumber", max_length=32)
    worker = worker_by_document(id_type, id_number)
    employments = employments_on_project(call.project, worker) if worker is not None else []
    if not employments:
        raise RecordRefused(
            DockingErrorCode.ORDER_WORKER,
            f"[idCardNumber]项目中不存在该证件号码的工人信息,不允许上传该工人的{what}信息",
            "idCardNumber",
        )
    return Person(worker, employments)


def corp(call: Call, data: dict[str, Any]) -> Any:
    """The request's enterprise (corpCode), a participant of the project (参建单位 uploaded first)."""
    code = fields.text(data, "corpCode", max_length=18)
    enterprise = enterprise_on_project(call.project, code)
    if enterprise is None:
        raise RequestRefused(
            "[corpCode]该企业不是本项目的参建单位，请先上传参建单位",
            "corpCode",
            DockingErrorCode.ORDER_PARTICIPANT,
        )
    return enterprise


def team(call: Call, data: dict[str, Any], enterprise: Any | None = None) -> Any:
    """The request's team (teamSysNo, issued by Team.Add), of the project and of the enterprise if named."""
    number = fields.integer(data, "teamSysNo")
    found = team_on_project(call.project, number) if number is not None else None
    if found is None or (enterprise is not None and found.enterprise_id != enterprise.pk):
        raise RequestRefused(
            "[teamSysNo]值超出范围或无效", "teamSysNo", DockingErrorCode.ORDER_TEAM
        )
    return found


def today(call: Call) -> dt.date:
    """The city's day of the request's arrival (dates "not after today" are judged against it)."""
    return call.now.astimezone(SHANGHAI).date()


class RecordRefused(Exception):
    """One record refused (its index is added by the method's loop)."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.field = str(code), message, field


def domain_message(exc: DomainError) -> str:
    """A service's refusal as one sentence: its per-field reasons when it has them."""
    fields_ = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    if fields_:
        return "；".join(str(v) for v in fields_.values())
    return exc.message


def amount(data: dict[str, Any], name: str, *, required: bool = True) -> Decimal | None:
    """A yuan amount as a JSON number (not a string, not true), ≥ 0, at most 2 decimals."""
    value = data.get(name)
    if value is None:
        if required:
            raise FieldError(name, "不能为空")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(name, "应为数值")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise FieldError(name, "应为数值") from None
    if not number.is_finite() or number < 0:
        raise FieldError(name, "应为不小于0的数值")
    if number != number.quantize(Decimal("0.01")):
        raise FieldError(name, "最多两位小数")
    if number > Decimal("99999999.99"):
        raise FieldError(name, "超出范围")
    return number


def flag(data: dict[str, Any], name: str) -> int:
    """A 0/1 integer flag (是否…), 0 when absent."""
    value = fields.integer(data, name, required=False)
    if value is None:
        return 0
    if value not in (0, 1):
        raise FieldError(name, "值超出范围或无效，应为0或1")
    return value


class FutureField(FieldError):
    """A date or time after today / now (its own code, docking.future_date)."""


def day_not_after(
    data: dict[str, Any],
    name: str,
    *,
    today: dt.date,
    required: bool = True,
    message: str = "不能大于当天",
) -> dt.date | None:
    """A `yyyy-MM-dd` date, not after today."""
    value = fields.date(data, name, today=dt.date.max, required=required)
    if value is not None and value > today:
        raise FutureField(name, message)
    return value


FAR_FUTURE = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def moment_not_after(data: dict[str, Any], name: str, *, now: dt.datetime) -> dt.datetime:
    """A `yyyy-MM-dd HH:mm:ss` Shanghai time, not after now (5 minutes of clock skew allowed)."""
    value = fields.moment(data, name, now=FAR_FUTURE)
    if value > now + dt.timedelta(minutes=5):
        raise FutureField(name, "不能大于当前时间")
    return value


def refusal_of(exc: Exception) -> tuple[str, str, str]:
    """(code, message, field) of a refused record."""
    if isinstance(exc, RecordRefused):
        return exc.code, exc.message, exc.field
    if isinstance(exc, FutureField):
        return str(DockingErrorCode.FUTURE_DATE), exc.message, exc.field
    if isinstance(exc, FieldError):
        return str(DockingErrorCode.RECORD_INVALID), exc.message, exc.field
    if isinstance(exc, DomainError):
        return exc.code, domain_message(exc), ""
    raise exc
