"""Team.Add / Update / Query (班组): smz issues `teamSysNo`, the team's number (an integer).

Order rule: the team's corp is a participant of the project first (ProjectSubContractor.Add). Adding a team name
the corp already has on the project answers that team's teamSysNo again and changes nothing. Update and Query take
a teamSysNo only on the project named and in the app's scope. The team leader is the member whose
ProjectWorker record says isTeamLeader=1, or (Update) the member named by teamLeaderIdcardType/IdNumber; the
responsible person's and (on Add) the leader's ID numbers are checked but not stored.
"""

from __future__ import annotations

from typing import Any

from smz.core.pii import pii_reveal
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.roster import (
    Refused,
    day,
    exit_day,
    person_document,
    phone,
    record,
    today_of,
)
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import (
    employment_on_project,
    enterprise_of_code,
    participations,
    team_named,
    team_of_project,
    team_rows,
)
from smz.registry.models import Enterprise, Project, Team
from smz.registry.services import team_create, team_update

TEAM_UNKNOWN = "[teamSysNo]值超出范围或无效"
QUERY_PURPOSE = "对接应用查询班组（Team.Query，班组长证件号码加密下发）"


def participant_enterprise(project: Project, data: dict[str, Any]) -> Enterprise:
    """The corp named by `corpCode`, refused unless it is a participant of the project (the order rule)."""
    corp_code = fields.text(data, "corpCode", max_length=18).upper()
    enterprise = enterprise_of_code(corp_code)
    if not participations(project, enterprise):
        raise Refused(
            DockingErrorCode.ORDER_PARTICIPANT,
            "[corpCode]该企业不是本项目的参建单位，请先上传参建单位信息",
            "corpCode",
        )
    assert enterprise is not None
    return enterprise


def team_in_scope(call: Call, data: dict[str, Any]) -> Team:
    """The team named by `teamSysNo` (a strict integer) on the call's project, else the national refusal."""
    number = fields.integer(data, "teamSysNo")
    assert number is not None
    team = team_of_project(call.actor, call.project, number) if number > 0 else None
    if team is None:
        raise Refused(DockingErrorCode.ORDER_TEAM, TEAM_UNKNOWN, "teamSysNo")
    return team


def _texts(call: Call, data: dict[str, Any]) -> dict[str, Any]:
    """The team's own fields in the registry's names, only those present in `data`."""
    today = today_of(call.now)
    fields.text(data, "teamLeaderName", required=False, max_length=40)
    phone(data, "teamLeaderPhone")
    person_document(
        data, "responsiblePersonIdcardType", "responsiblePersonIdNumber", required=False
    )
    values = {
        "responsible_name": fields.text(
            data, "responsiblePersonName", required=False, max_length=40
        ),
        "responsible_phone": phone(data, "responsiblePersonPhone"),
        "remark": fields.text(data, "remark", required=False, max_length=200),
        "entry_on": day(data, "entryTime", today=today),
        "exit_on": exit_day(data, today),
    }
    given = {
        "responsible_name": "responsiblePersonName",
        "responsible_phone": "responsiblePersonPhone",
        "remark": "remark",
        "entry_on": "entryTime",
        "exit_on": "exitTime",
    }
    return {k: v for k, v in values.items() if data.get(given[k]) not in (None, "")}


@method("Team.Add", asynchronous=True, receipt=DockingReceipt.Kind.TEAM)
def team_add(call: Call) -> MethodResult:
    result = MethodResult()
    data = call.data
    with record(result, 0):
        enterprise = participant_enterprise(call.project, data)
        fields.text(data, "corpName", max_length=120)
        name = fields.text(data, "teamName", max_length=60)
        person_document(data, "teamLeaderIdcardType", "teamLeaderIdNumber", required=False)
        values = _texts(call, data)
        team = team_named(call.project, enterprise, name)
        if team is None:
            exit_on = values.pop("exit_on", None)
            team = team_create(
                actor=call.actor, project=call.project, enterprise=enterprise, name=name, **values
            )
            if exit_on is not None:
                team_update(actor=call.actor, team=team, exit_on=exit_on)
        result.issued["teamSysNo"] = team.pk
    return result


@method("Team.Update", asynchronous=True, receipt=DockingReceipt.Kind.TEAM)
def team_change(call: Call) -> MethodResult:
    result = MethodResult()
    data = call.data
    with record(result, 0):
        team = team_in_scope(call, data)
        if (
            data.get("corpCode") not in (None, "")
            and participant_enterprise(call.project, data).pk != team.enterprise_id
        ):
            raise Refused(DockingErrorCode.ORDER_TEAM, "[teamSysNo]班组不属于该企业", "teamSysNo")
        changes = _texts(call, data)
        if data.get("teamName") not in (None, ""):
            changes["name"] = fields.text(data, "teamName", max_length=60)
        kind, number = person_document(
            data, "teamLeaderIdcardType", "teamLeaderIdNumber", required=False
        )
        if number:
            member = employment_on_project(call.actor, call.project, kind, number)
            if member is None or member.team_id != team.pk:
                raise Refused(
                    DockingErrorCode.ORDER_WORKER,
                    "[teamLeaderIdNumber]该人员不是本班组的在场人员，请先上传项目人员信息",
                    "teamLeaderIdNumber",
                )
            changes["leader"] = member.worker
        if changes:
            team_update(actor=call.actor, team=team, **changes)
        result.issued["teamSysNo"] = team.pk
    return result


@method("Team.Query", asynchronous=False)
def team_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    number = fields.integer(call.data, "teamSysNo", required=False)
    corp_code = fields.text(call.data, "corpCode", required=False, max_length=18)
    total, pairs = team_rows(
        call.actor,
        call.project,
        team_sys_no=number,
        corp_code=corp_code,
        offset=index * size,
        limit=size,
    )
    rows = []
    for row, leader in pairs:
        if leader is not None:
            row["teamLeaderIdNumber"] = pii_reveal(
                user=call.actor, worker=leader, field="id_number", purpose=QUERY_PURPOSE
            )
        rows.append(row)
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
