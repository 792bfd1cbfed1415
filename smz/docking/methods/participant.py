"""ProjectSubContractor.Add / Update / Query (参建单位): enterprises on the project in a role (corpType 001–012).

Add registers the enterprise when its corpCode is unknown (registry.enterprise_register; a known one keeps its
registered name) and then the participation; adding the same corp in the same role again is accepted and changes
nothing. Update changes the entry/exit dates and the project leader; an unknown participation is a refused record.
`pmIdcardType`/`pmIdcardNumber` are checked but not stored (the registry keeps no leader's ID for a participant).
"""

from __future__ import annotations

from typing import Any

from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.roster import (
    Refused,
    day,
    each,
    exit_day,
    person_document,
    phone,
    today_of,
)
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import enterprise_of_code, participant_rows, participations
from smz.registry.codes import code_table
from smz.registry.services import enterprise_register, participant_register, participant_update


def _corp_code(data: dict[str, Any]) -> str:
    value = fields.text(data, "corpCode", max_length=18).upper()
    if len(value) != 18:
        raise fields.FieldError("corpCode", "应为18位统一社会信用代码")
    return value


def _common(call: Call, data: dict[str, Any]) -> dict[str, Any]:
    today = today_of(call.now)
    entry_on = day(data, "entryTime", today=today)
    exit_on = exit_day(data, today)
    person_document(data, "pmIdcardType", "pmIdcardNumber", required=False)
    pm_name = fields.text(data, "pmName", required=False, max_length=40)
    return {
        "entry_on": entry_on,
        "exit_on": exit_on,
        "pm_name": pm_name,
        "pm_phone": phone(data, "pmPhone"),
    }


@method(
    "ProjectSubContractor.Add",
    asynchronous=True,
    receipt=DockingReceipt.Kind.PARTICIPANT,
)
def participant_add(call: Call) -> MethodResult:
    result = MethodResult()

    def handle(index: int, data: dict[str, Any]) -> None:
        corp_code = _corp_code(data)
        corp_name = fields.text(data, "corpName", max_length=120)
        corp_type = fields.code(data, "corpType", code_table("corp_type"))
        common = _common(call, data)
        enterprise = enterprise_of_code(corp_code)
        if enterprise is None:
            enterprise = enterprise_register(actor=call.actor, corp_code=corp_code, name=corp_name)
        participant_register(
            actor=call.actor,
            project=call.project,
            enterprise=enterprise,
            corp_type=corp_type,
            **common,
        )

    each(result, [call.data], handle)
    return result


@method(
    "ProjectSubContractor.Update",
    asynchronous=True,
    receipt=DockingReceipt.Kind.PARTICIPANT,
)
def participant_change(call: Call) -> MethodResult:
    result = MethodResult()

    def handle(index: int, data: dict[str, Any]) -> None:
        corp_code = _corp_code(data)
        corp_type = fields.code(data, "corpType", code_table("corp_type"), required=False)
        roles = [
            p
            for p in participations(call.project, enterprise_of_code(corp_code))
            if not corp_type or p.corp_type == corp_type
        ]
        if not roles:
            raise Refused(
                DockingErrorCode.UNKNOWN_PARTICIPANT,
                "[corpCode]该企业不是本项目的参建单位，请先上传参建单位信息",
                "corpCode",
            )
        if len(roles) > 1:
            raise fields.FieldError("corpType", "该企业在本项目有多个参建类型，请填写参建类型")
        common = _common(call, data)
        changes = {
            name: value
            for name, value, given in (
                ("entry_on", common["entry_on"], "entryTime"),
                ("exit_on", common["exit_on"], "exitTime"),
                ("pm_name", common["pm_name"], "pmName"),
                ("pm_phone", common["pm_phone"], "pmPhone"),
            )
            if data.get(given) not in (None, "")
        }
        participant_update(actor=call.actor, participant=roles[0], **changes)

    each(result, [call.data], handle)
    return result


@method("ProjectSubContractor.Query", asynchronous=False)
def participant_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    corp_code = fields.text(call.data, "corpCode", required=False, max_length=18)
    total, rows = participant_rows(
        call.actor, call.project, corp_code=corp_code, offset=index * size, limit=size
    )
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
