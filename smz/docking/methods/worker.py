"""ProjectWorker.Add / Update / Query (项目人员): people put on the project by a participant, in one of its teams.

Envelope: projectCode, corpCode, corpName, teamSysNo, teamName, workerList[] (≤ 500). Order rules: the corp is a
participant and the team (teamSysNo, on this project, of this corp) exists, else every record is refused with the
national text. Each record is registered through the entry path the pages use (registry.worker_for_entry, then
employment_register): a person someone else registered is linked unchanged when the name on his card matches and is
never taken over; a resend of a person already on the project for the same corp is accepted and stores nothing.
`headImage` (base64 jpg/png ≤ 50 KB) becomes the person's site face (registry.site_face_capture) when it passes
the face checks; otherwise the record is still accepted and the answer carries a warning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError
from smz.core.pii import pii_reveal
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.fields import FieldError
from smz.docking.methods.roster import (
    Refused,
    code,
    day,
    each,
    failure_of,
    flag,
    head_image,
    nation,
    person_document,
    phone,
    today_of,
)
from smz.docking.methods.team import participant_enterprise, team_in_scope
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import (
    active_employment,
    employment_on_project,
    worker_rows,
)
from smz.registry.models import Employment, Enterprise, Team
from smz.registry.project_changes import site_face_capture
from smz.registry.services import (
    WorkerData,
    employment_register,
    employment_update,
    worker_for_entry,
    worker_upsert,
)

LIST = "workerList"
QUERY_PURPOSE = "对接应用查询项目人员（ProjectWorker.Query，证件号码加密下发）"
# Identity and contact fields a ProjectWorker.Update may carry (the rest of the record is the employment).
PERSON_FIELDS = (
    "workerName",
    "gender",
    "nation",
    "birthDate",
    "address",
    "grantOrg",
    "startDate",
    "expiryDate",
    "cellPhone",
    "cultureLevelType",
    "politicsType",
    "payRollBankCardNumber",
    "payRollTopBankCode",
    "payRollBankName",
)


def _expiry(item: dict[str, Any]) -> dt.date | None:
    if item.get("expiryDate") == "长期":
        return None
    return day(item, "expiryDate", today=None)


def _person(item: dict[str, Any], today: dt.date, *, name: str = "") -> WorkerData:
    kind, number = person_document(item, "idCardType", "idCardNumber", required=True)
    return WorkerData(
        id_card_type=kind,
        id_number=number,
        name=fields.text(item, "workerName", required=not name, max_length=40) or name,
        gender=fields.code(item, "gender", {"1": "男", "2": "女"}, required=False),
        nation=nation(item, "nation"),
        birth_date=day(item, "birthDate", today=today),
        address=fields.text(item, "address", required=False, max_length=200),
        grant_org=fields.text(item, "grantOrg", required=False, max_length=80),
        id_valid_from=day(item, "startDate", today=None),
        id_valid_to=_expiry(item),
        phone=phone(item, "cellPhone"),
        culture_level=code(item, "cultureLevelType", "culture_level", required=False),
        politics_type=code(item, "politicsType", "politics_type", required=False),
        bank_card=fields.text(item, "payRollBankCardNumber", required=False, max_length=30),
        bank_code=code(item, "payRollTopBankCode", "bank", required=False),
        bank_name=fields.text(item, "payRollBankName", required=False, max_length=60),
    )


def _role(item: dict[str, Any], *, required: bool = True) -> str:
    value = fields.integer(item, "workRole", required=required)
    if value is None:
        return ""
    if value not in (10, 20):
        raise FieldError("workRole", "值超出范围或无效，请参见代码表（10 管理人员，20 建筑工人）")
    return str(value)


def _envelope(call: Call, *, team_required: bool) -> tuple[Enterprise, Team | None]:
    """The corp and team every record of the call goes to (order rules: participant, then team)."""
    enterprise = participant_enterprise(call.project, call.data)
    fields.text(call.data, "corpName", required=False, max_length=120)
    fields.text(call.data, "teamName", required=False, max_length=60)
    team = None
    if team_required or call.data.get("teamSysNo") is not None:
        team = team_in_scope(call, call.data)
        if team.enterprise_id != enterprise.pk:
            raise Refused(DockingErrorCode.ORDER_TEAM, "[teamSysNo]班组不属于该企业", "teamSysNo")
    return enterprise, team


def _refuse_all(result: MethodResult, count: int, exc: Exception) -> MethodResult:
    if isinstance(exc, DomainError):
        failure = failure_of(exc)
    else:
        failure = (
            getattr(exc, "code", DockingErrorCode.RECORD_INVALID),
            getattr(exc, "message", str(exc)),
            getattr(exc, "field", ""),
        )
    for index in range(count):
        result.refuse(index, *failure)
    return result


def _face(
    call: Call, result: MethodResult, index: int, employment: Employment, image: bytes
) -> None:
    """Store the head image as the site face when it passes the registry's face checks, else warn."""
    try:
        with transaction.atomic():
            site_face_capture(actor=call.actor, employment=employment, data=image)
    except DomainError as exc:
        result.issued.setdefault("warnings", []).append(
            {
                "index": index,
                "field": "headImage",
                "message": f"[headImage]未保存为现场人脸照片：{failure_of(exc)[1] or exc.message}",
            }
        )


@method("ProjectWorker.Add", asynchronous=True, receipt=DockingReceipt.Kind.WORKER, list_field=LIST)
def worker_add(call: Call) -> MethodResult:
    result = MethodResult()
    items = fields.records(call.data, LIST)
    try:
        enterprise, team = _envelope(call, team_required=True)
    except (Refused, FieldError) as exc:
        return _refuse_all(result, len(items), exc)
    today = today_of(call.now)

    def handle(index: int, item: dict[str, Any]) -> None:
        data = _person(item, today)
        work_type = code(item, "workType", "work_type")
        role = _role(item)
        leader = bool(flag(item, "isTeamLeader"))
        image = head_image(item)
        existing = active_employment(call.project, data.id_card_type, data.id_number)
        if existing is not None:
            if existing.employer_id != enterprise.pk:
                raise Refused(
                    DockingErrorCode.ALREADY_ON_PROJECT,
                    "[idCardNumber]该人员已由其他单位登记在本项目在场",
                    "idCardNumber",
                )
            # A resend: the person is already on the project for this corp; changes go by Update.
            return
        worker, _ = worker_for_entry(actor=call.actor, data=data)
        employment = employment_register(
            actor=call.actor,
            project=call.project,
            worker=worker,
            employer=enterprise,
            team=team,
            work_type=work_type,
            work_role=role,
            entry_on=today,
            is_team_leader=leader,
        )
        if image is not None:
            _face(call, result, index, employment, image)

    each(result, items, handle)
    return result


@method(
    "ProjectWorker.Update", asynchronous=True, receipt=DockingReceipt.Kind.WORKER, list_field=LIST
)
def worker_change(call: Call) -> MethodResult:
    result = MethodResult()
    items = fields.records(call.data, LIST)
    try:
        enterprise, team = _envelope(call, team_required=False)
    except (Refused, FieldError) as exc:
        return _refuse_all(result, len(items), exc)
    today = today_of(call.now)

    def handle(index: int, item: dict[str, Any]) -> None:
        kind, number = person_document(item, "idCardType", "idCardNumber", required=True)
        employment = employment_on_project(call.actor, call.project, kind, number)
        if employment is None or employment.employer_id != enterprise.pk:
            raise Refused(
                DockingErrorCode.UNKNOWN_WORKER,
                "[idCardNumber]该人员未由该企业登记在本项目，请先上传项目人员信息",
                "idCardNumber",
            )
        changes: dict[str, Any] = {}
        if team is not None and team.pk != employment.team_id:
            changes["team"] = team
        if item.get("workType") is not None:
            changes["work_type"] = code(item, "workType", "work_type")
        if item.get("workRole") is not None:
            changes["work_role"] = _role(item)
        leader = flag(item, "isTeamLeader")
        if leader is not None:
            changes["is_team_leader"] = leader
        image = head_image(item)
        if any(item.get(f) not in (None, "") for f in PERSON_FIELDS):
            worker_upsert(actor=call.actor, data=_person(item, today, name=employment.worker.name))
        if changes:
            employment_update(actor=call.actor, employment=employment, **changes)
        if image is not None:
            _face(call, result, index, employment, image)

    each(result, items, handle)
    return result


@method("ProjectWorker.Query", asynchronous=False)
def worker_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    number = fields.integer(call.data, "teamSysNo", required=False)
    corp_code = fields.text(call.data, "corpCode", required=False, max_length=18)
    kind, id_number = person_document(call.data, "idCardType", "idCardNumber", required=False)
    total, pairs = worker_rows(
        call.actor,
        call.project,
        team_sys_no=number,
        corp_code=corp_code,
        id_card=(kind, id_number) if id_number else None,
        offset=index * size,
        limit=size,
    )
    rows = []
    for row, person in pairs:
        row["idCardNumber"] = pii_reveal(
            user=call.actor, worker=person, field="id_number", purpose=QUERY_PURPOSE
        )
        rows.append(row)
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
