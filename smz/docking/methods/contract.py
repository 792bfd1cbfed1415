"""WorkerContract.Add / Query (劳动合同, 附件8): contracts of the project's people through labor's contract_create.

contractList[]: corpCode, corpName, idCardType, idCardNumber, contractPeriodType (0 固定期限 / 1 以完成一定工作量为
期限), startDate, endDate (固定期限 required), unit (计量单位 80 米 / 81 平方米 / 82 立方米), unitPrice (元).
The national record carries a unit price and its unit: smz records it as a piece-rate contract (计件工资) at that
price; the pay day, not in the national record, is the city default (每月15日). A resend of the contract in force
(same type, dates, unit, price) changes nothing; a different one is a renewal (the old one ends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.labor_common import (
    RecordRefused,
    amount,
    day_not_after,
    person,
    refusal_of,
)
from smz.docking.methods.labor_common import today as labor_today
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import active_contract_of, contract_rows, enterprise_on_project
from smz.labor.models import LaborContract, WageKind
from smz.labor.services import DEFAULT_PAY_DAY, PIECE_UNITS, ContractInput, contract_create
from smz.labor.services.contracts import yuan_to_fen
from smz.registry.models import Employment

PERIOD_TYPES = {"0": LaborContract.PeriodType.FIXED, "1": LaborContract.PeriodType.TASK}


def _contract(call: Call, item: dict[str, Any]) -> None:
    today = labor_today(call)
    corp_code = fields.text(item, "corpCode", max_length=18)
    fields.text(item, "corpName", max_length=100)
    enterprise = enterprise_on_project(call.project, corp_code)
    if enterprise is None:
        raise RecordRefused(
            DockingErrorCode.ORDER_PARTICIPANT,
            "[corpCode]该企业不是本项目的参建单位，请先上传参建单位",
            "corpCode",
        )
    period = fields.integer(item, "contractPeriodType")
    if period not in (0, 1):
        raise fields.FieldError("contractPeriodType", "值超出范围或无效，请参见代码表")
    # The end of a fixed-term contract lies ahead; its start does not.
    start = day_not_after(item, "startDate", today=today)
    end = fields.date(item, "endDate", today=dt.date.max, required=period == 0)
    unit = fields.integer(item, "unit")
    if str(unit) not in PIECE_UNITS:
        raise fields.FieldError("unit", "值超出范围或无效，请参见代码表")
    price = amount(item, "unitPrice")
    who = person(call, item, "劳动合同")
    employments = [e for e in who.of_corp(enterprise) if e.status == Employment.Status.ACTIVE]
    if not employments:
        raise RecordRefused(
            DockingErrorCode.ORDER_WORKER,
            "[corpCode]该工人不在本项目该企业名下,不允许上传该工人的劳动合同信息",
            "corpCode",
        )
    employment = employments[-1]
    data = ContractInput(
        period_type=PERIOD_TYPES[str(period)],
        start_on=start,
        end_on=end if period == 0 else None,
        task_description=f"以完成一定工作量为期限（按{PIECE_UNITS[str(unit)]}计量）"
        if period
        else "",
        wage_kind=WageKind.PIECE,
        rate_yuan=str(price),
        piece_unit=str(unit),
        pay_day=DEFAULT_PAY_DAY,
    )
    current = active_contract_of(employment)
    if current is not None and (
        current.period_type,
        current.start_on,
        current.end_on,
        current.wage_kind,
        current.rate_fen,
        current.piece_unit,
    ) == (
        data.period_type,
        data.start_on,
        data.end_on,
        data.wage_kind,
        yuan_to_fen(data.rate_yuan),
        data.piece_unit,
    ):
        return  # the contract in force, sent again
    contract_create(actor=call.actor, employment=employment, data=data)


@method(
    "WorkerContract.Add",
    asynchronous=True,
    receipt=DockingReceipt.Kind.CONTRACT,
    list_field="contractList",
)
def worker_contract_add(call: Call) -> MethodResult:
    result = MethodResult()
    for i, item in enumerate(fields.records(call.data, "contractList")):
        try:
            with transaction.atomic():
                _contract(call, item)
            result.accepted += 1
        except (RecordRefused, fields.FieldError, DomainError) as exc:
            result.refuse(i, *refusal_of(exc))
    return result


@method("WorkerContract.Query", asynchronous=False)
def worker_contract_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    corp_code = fields.text(call.data, "corpCode", required=False, max_length=18)
    total, rows = contract_rows(
        call.actor, call.project, corp_code=corp_code, offset=index * size, limit=size
    )
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
