"""WorkerEntryExit.Add / Query (进退场, 附件8): projectCode, corpCode, corpName, teamSysNo, workerList[]:
idCardType, idCardNumber, date (yyyy-MM-dd, not after today), type (1 进场 / 0 退场), voucher (凭证扫描件, base64
PDF/JPEG/PNG).

Through the services the pages use (the entry desk and the exit pages), so a docked entry or exit obeys the same
rules as one made at the site office:
- 进场 (type 1): the person must be on the project (ProjectWorker.Add). If his employment waits for the entry
  checks, they run now (labor.entry_admit: contract, training, blacklist, age, ID validity, face); a refusal is
  kept (the Admission row) and answered with the checks' reasons. After an exit, an entry on or after the exit
  date is a re-entry: a new employment with the same employer, team and trade (registry.employment_register),
  then the checks.
- 退场 (type 0): the exit confirmation (退场确认书, labor.exit_prepare) is drawn from attendance and payroll; the
  voucher is the confirmation the worker signed, scanned (labor.exit_signed_scan_attach confirms it), and the exit
  is registered (labor.exit_register: the employment ends, the gates drop him). Without a voucher the
  confirmation waits for the worker's own confirmation on his page; the record is refused with that reason and
  a resend after he confirmed registers the exit.
- A date before the person's last entry or exit on the project is refused: "[date]不能小于历史进退场时间".
A resend of an entry or exit already registered on that date changes nothing."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.labor_common import (
    RecordRefused,
    corp,
    day_not_after,
    person,
    refusal_of,
    team,
)
from smz.docking.methods.labor_common import today as labor_today
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import entry_exit_rows, exit_settlement_of
from smz.labor.models import ExitSettlement
from smz.labor.services.entry import entry_admit
from smz.labor.services.exits import exit_prepare, exit_register, exit_signed_scan_attach
from smz.registry.models import Employment
from smz.registry.services import employment_register

MAX_VOUCHER_BYTES = 2 * 1024 * 1024
EXIT_WORKLOAD = "平台对接上传的退场（工作量见用工单位系统）"


def _voucher(item: dict[str, Any]) -> bytes | None:
    value = item.get("voucher")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise fields.FieldError("voucher", "应为 base64 字符串")
    if len(value) > MAX_VOUCHER_BYTES * 4 // 3 + 4:
        raise fields.FieldError("voucher", "大小超过限制2MB")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise fields.FieldError("voucher", "不是有效的 base64") from None


def _admit(call: Call, employment: Employment) -> None:
    if employment.gate_status == "admitted":
        return
    try:
        entry_admit(actor=call.actor, employment=employment)
    except DomainError as exc:
        # entry_admit keeps its refusal (the Admission row) when the error leaves its own transaction;
        # raising it out of this record's savepoint would undo that row, so the record is refused from here.
        raise _Kept(exc) from exc


class _Kept(Exception):
    def __init__(self, exc: DomainError):
        super().__init__(exc.message)
        self.exc = exc


def _entry_exit(call: Call, item: dict[str, Any], enterprise: Any, team_: Any) -> None:
    today = labor_today(call)
    kind = fields.integer(item, "type")
    if kind not in (0, 1):
        raise fields.FieldError("type", "值超出范围或无效，应为1(进场)或0(退场)")
    day = day_not_after(item, "date", today=today)
    assert day is not None  # required
    voucher = _voucher(item)
    who = person(call, item, "进退场")
    mine = who.of_corp(enterprise)
    if not mine:
        raise RecordRefused(
            DockingErrorCode.ORDER_WORKER,
            "[corpCode]该工人不在本项目该企业名下,不允许上传该工人的进退场信息",
            "corpCode",
        )
    latest = mine[-1]
    history = max(
        max(e.entry_on for e in who.employments),
        max((e.exit_on for e in who.employments if e.exit_on), default=latest.entry_on),
    )
    if kind == 1:
        if latest.status == Employment.Status.ACTIVE:
            if day < latest.entry_on:
                raise RecordRefused(
                    DockingErrorCode.HISTORY_DATE, "[date]不能小于历史进退场时间", "date"
                )
            _admit(call, latest)
            return
        if any(e.status == Employment.Status.ACTIVE for e in who.employments):
            raise RecordRefused(
                DockingErrorCode.REFUSED, "该工人已在本项目其他企业名下在场，不能重复进场"
            )
        if day < history:
            raise RecordRefused(
                DockingErrorCode.HISTORY_DATE, "[date]不能小于历史进退场时间", "date"
            )
        employment = employment_register(
            actor=call.actor,
            project=call.project,
            worker=who.worker,
            employer=enterprise,
            team=team_ if latest.work_role == Employment.Role.WORKER else None,
            work_type=latest.work_type,
            work_role=latest.work_role,
            entry_on=day,
        )
        _admit(call, employment)
        return
    # 退场
    if latest.status == Employment.Status.EXITED:
        if latest.exit_on == day:
            return  # registered already
        raise RecordRefused(DockingErrorCode.HISTORY_DATE, "[date]不能小于历史进退场时间", "date")
    if day < history:
        raise RecordRefused(DockingErrorCode.HISTORY_DATE, "[date]不能小于历史进退场时间", "date")
    settlement = exit_settlement_of(latest)
    if settlement is None or settlement.state == ExitSettlement.State.DRAFT:
        settlement = exit_prepare(
            actor=call.actor, employment=latest, exit_on=day, workload=EXIT_WORKLOAD
        )
        if voucher is not None:
            settlement = exit_signed_scan_attach(
                actor=call.actor, settlement=settlement, data=voucher, filename="退场凭证"
            )
    elif settlement.exit_on != day:
        raise RecordRefused(
            DockingErrorCode.REFUSED,
            f"[date]工人已确认的退场确认书退场日期为{settlement.exit_on:%Y-%m-%d}，与上传不一致",
            "date",
        )
    if settlement.state == ExitSettlement.State.DRAFT:
        raise _Kept(
            DomainError(
                DockingErrorCode.REFUSED,
                "退场确认书已生成，须工人本人在线确认或上传其签字的退场凭证（voucher）后重新上传",
            )
        )
    exit_register(actor=call.actor, settlement=settlement)


@method(
    "WorkerEntryExit.Add",
    asynchronous=True,
    receipt=DockingReceipt.Kind.ENTRY_EXIT,
    list_field="workerList",
)
def worker_entry_exit_add(call: Call) -> MethodResult:
    enterprise = corp(call, call.data)
    fields.text(call.data, "corpName", max_length=100)
    team_ = team(call, call.data, enterprise)
    result = MethodResult()
    for i, item in enumerate(fields.records(call.data, "workerList")):
        kept: _Kept | None = None
        try:
            with transaction.atomic():
                try:
                    _entry_exit(call, item, enterprise, team_)
                except _Kept as exc:
                    kept = exc  # what the services wrote before refusing stays (admission, draft)
        except (RecordRefused, fields.FieldError, DomainError) as exc:
            result.refuse(i, *refusal_of(exc))
            continue
        if kept is not None:
            result.refuse(i, *refusal_of(kept.exc))
        else:
            result.accepted += 1
    return result


@method("WorkerEntryExit.Query", asynchronous=False)
def worker_entry_exit_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    team_no = fields.integer(call.data, "teamSysNo", required=False)
    total, rows = entry_exit_rows(
        call.actor, call.project, team_sys_no=team_no, offset=index * size, limit=size
    )
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
