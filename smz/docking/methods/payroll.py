"""Payroll.Add / Query (工资单, 附件8): the employer's month through labor's payroll services, so 欠薪预警 and the
worker's own wage page see docked payrolls like the ones made on the pages.

Add: projectCode, corpCode, corpName, teamSysNo, payMonth (yyyy-MM, not after this month), detailList[]:
idCardType, idCardNumber, days (出勤天数), workHours (总工时), payRollBankCardNumber / payRollBankCode /
payRollBankName (the worker's card), payBankCardNumber / payBankCode / payBankName (the paying account), totalPayAmount
(应发, 元), actualAmount (实发, 元), isBackPay (0/1), balanceDate (发放日期, not after today), thirdPayRollCode.

The path, and why (docs/interfaces/platform-docking.md §Payroll.Add):
1. labor.payroll_draft for the employer's team and month (drawn from smz's attendance and contracts) — or the
   sheet already there;
2. each docked worker's line set to the docked figures with labor.payroll_line_update (days, hours, 应发 as the
   employer computed it, 代扣 = 应发 − 实发). A line whose figures are unchanged is left alone, so a worker's
   confirmation survives a resend;
3. labor.payroll_submit, which runs every check of a page's submission (contract, bank card, days paid ≤ days
   attended, minimum wage, each line confirmed by the worker or the signed sheet). Nothing is skipped for a docked
   sheet: when a check fails the sheet stays a draft with the docked figures, the request ends 10 (处理失败) with
   each problem on its record, and the workers see their line on their own page and can confirm it; the vendor
   resends the same Payroll.Add afterwards and the sheet is submitted.
Refused per record: a person not on the project under this employer ("…不允许上传该工人的工资发放信息"), not in
the team, with no attendance that month in smz (a sheet is drawn from attendance: dock WorkerAttendance first),
listed twice. A month already submitted is not changed: the same figures again are accepted (a resend), other
figures are refused (补发 goes on a correction sheet on the page). isBackPay=1 is refused for the same reason.
The payment itself (balanceDate, the paying account) is checked but not recorded as paid: in smz a line is paid
when the special account's bank result says so (labor.payment_result_import)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, RequestRefused, method
from smz.docking.methods.labor_common import (
    RecordRefused,
    amount,
    corp,
    day_not_after,
    flag,
    person,
    refusal_of,
    team,
    today,
)
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import payroll_rows, regular_payroll_of
from smz.labor.services import LineInput, payroll_draft, payroll_line_update, payroll_submit


@dataclass
class Detail:
    index: int
    worker: Any
    days: int
    hours: Decimal
    gross_fen: int
    deductions_fen: int


def _fen(yuan: Decimal) -> int:
    return int(yuan * 100)


def _detail(call: Call, i: int, item: dict[str, Any], enterprise: Any, team_: Any) -> Detail:
    day = today(call)
    days = fields.integer(item, "days")
    assert days is not None
    if not 0 <= days <= 31:
        raise fields.FieldError("days", "应为0至31")
    hours = amount(item, "workHours")
    assert hours is not None
    if hours != hours.quantize(Decimal("0.1")):
        raise fields.FieldError("workHours", "最多一位小数")
    if hours > 31 * 24:
        raise fields.FieldError("workHours", "不能超过744小时（31天×24小时）")
    for name in ("payRollBankCardNumber", "payBankCardNumber"):
        fields.text(item, name, required=False, max_length=32)
    for name in ("payRollBankCode", "payBankCode"):
        fields.text(item, name, required=False, max_length=8)
    for name in ("payRollBankName", "payBankName"):
        fields.text(item, name, required=False, max_length=60)
    fields.text(item, "thirdPayRollCode", required=False, max_length=64)
    total = amount(item, "totalPayAmount")
    actual = amount(item, "actualAmount")
    assert total is not None and actual is not None
    if actual > total:
        raise fields.FieldError("actualAmount", "实发金额不能大于应发金额")
    day_not_after(item, "balanceDate", today=day, required=False, message="发放日期不能大于今天")
    if flag(item, "isBackPay"):
        raise RecordRefused(
            DockingErrorCode.REFUSED,
            "[isBackPay]补发工资请在平台编制更正表，不能通过对接上传",
            "isBackPay",
        )
    who = person(call, item, "工资发放")
    mine = who.of_corp(enterprise)
    if not mine:
        raise RecordRefused(
            DockingErrorCode.ORDER_WORKER,
            "[corpCode]该工人不在本项目该企业名下,不允许上传该工人的工资发放信息",
            "corpCode",
        )
    if not any(e.team_id == team_.pk for e in mine):
        raise RecordRefused(
            DockingErrorCode.NOT_IN_TEAM, "[teamSysNo]该工人不属于该班组", "teamSysNo"
        )
    return Detail(i, who.worker, days, hours, _fen(total), _fen(total) - _fen(actual))


def _same(line: Any, d: Detail) -> bool:
    return (line.days_paid, line.hours_paid, line.gross_fen, line.deductions_fen) == (
        d.days,
        d.hours,
        d.gross_fen,
        d.deductions_fen,
    )


@method(
    "Payroll.Add", asynchronous=True, receipt=DockingReceipt.Kind.PAYROLL, list_field="detailList"
)
def payroll_add(call: Call) -> MethodResult:
    enterprise = corp(call, call.data)
    fields.text(call.data, "corpName", max_length=100)
    team_ = team(call, call.data, enterprise)
    month = fields.month(call.data, "payMonth", today=today(call))
    items = fields.records(call.data, "detailList")
    result = MethodResult()
    details: list[Detail] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        try:
            d = _detail(call, i, item, enterprise, team_)
        except (RecordRefused, fields.FieldError) as exc:
            result.refuse(i, *refusal_of(exc))
            continue
        if d.worker.pk in seen:
            result.refuse(i, DockingErrorCode.DUPLICATE_IN_LIST, "同一工人在本次工资单中重复出现")
            continue
        seen.add(d.worker.pk)
        details.append(d)
    if not details:
        return result

    payroll = regular_payroll_of(call.project, enterprise, team_, month)
    if payroll is None:
        try:
            with transaction.atomic():
                payroll = payroll_draft(
                    actor=call.actor,
                    project=call.project,
                    employer=enterprise,
                    team=team_,
                    month=month,
                )
        except DomainError as exc:
            raise RequestRefused(refusal_of(exc)[1], "payMonth", exc.code) from exc
    lines = {line.worker_id: line for line in payroll.lines.all()}
    result.issued = {"payRollCode": payroll.no}

    if payroll.locked:
        for d in details:
            line = lines.get(d.worker.pk)
            if line is not None and _same(line, d):
                result.accepted += 1
            else:
                result.refuse(
                    d.index,
                    DockingErrorCode.ALREADY_SUBMITTED,
                    "该月工资表已提交锁定，不能修改；补发请在平台编制更正表",
                )
        result.issued["payRollState"] = payroll.state
        result.failures.sort(key=lambda f: f.index)
        return result

    recorded: dict[int, Detail] = {}  # line pk → the docked record it carries
    for d in details:
        line = lines.get(d.worker.pk)
        if line is None:
            result.refuse(
                d.index,
                DockingErrorCode.NO_ATTENDANCE,
                "该工人本月在本项目无考勤记录，工资表按考勤编制：请先上传考勤",
            )
            continue
        if not _same(line, d):
            try:
                with transaction.atomic():
                    payroll_line_update(
                        actor=call.actor,
                        line=line,
                        data=LineInput(
                            days_paid=d.days,
                            hours_paid=d.hours,
                            rate_yuan=f"{line.rate_fen / 100:.2f}",
                            quantity=line.quantity,
                            deductions_yuan=f"{d.deductions_fen / 100:.2f}",
                            deductions_note="代扣（平台对接：应发−实发）"
                            if d.deductions_fen
                            else "",
                            note=line.note,
                            gross_yuan=f"{d.gross_fen / 100:.2f}",
                        ),
                    )
            except DomainError as exc:
                result.refuse(d.index, *refusal_of(exc))
                continue
        recorded[line.pk] = d

    by_line = {line.pk: recorded.get(line.pk) for line in lines.values()}
    try:
        with transaction.atomic():
            payroll = payroll_submit(actor=call.actor, payroll=payroll)
        result.accepted += len(recorded)
    except DomainError as exc:
        problems = exc.detail.get("problems", [])
        blamed: set[int] = set()
        others = []
        for p in problems:
            d = by_line.get(p["line"]) if p["line"] else None
            if d is not None:
                result.refuse(d.index, p["code"], p["message"].split("：", 1)[-1])
                blamed.add(d.index)
            else:
                others.append(p)
        result.accepted += sum(1 for d in recorded.values() if d.index not in blamed)
        if others:
            # Problems of the sheet, or of lines this request did not carry (people who attended that month
            # but are not in the detailList): the sheet cannot be submitted until they are settled.
            result.refuse(
                len(items),
                DockingErrorCode.REFUSED,
                f"工资表未能提交：另有 {len(others)} 处问题（含本月有考勤但未列入本次上传的人员），"
                "请在平台处理或补充上传",
                "detailList",
            )
    result.issued["payRollState"] = payroll.state
    result.failures.sort(key=lambda f: f.index)
    return result


@method("Payroll.Query", asynchronous=False)
def payroll_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    pay_month = fields.text(call.data, "payMonth", required=False, max_length=7)
    month = fields.month(call.data, "payMonth", today=today(call)) if pay_month else None
    corp_code = fields.text(call.data, "corpCode", required=False, max_length=18)
    team_no = fields.integer(call.data, "teamSysNo", required=False)
    total, rows = payroll_rows(
        call.actor,
        call.project,
        month=month,
        corp_code=corp_code,
        team_sys_no=team_no,
        offset=index * size,
        limit=size,
    )
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
