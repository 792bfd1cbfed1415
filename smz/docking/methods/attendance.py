"""WorkerAttendance.Add / Query (考勤, 附件8) through THE ONE INGEST PATH (attendance.ingest.pass_records_ingest).

Add: projectCode, teamSysNo, dataList[] (≤ 500): idCardType, idCardNumber, date (yyyy-MM-dd HH:mm:ss, Shanghai
time), direction (01 入场 / 02 出场), image (刷卡近照 base64 JPEG), channel (通道), attendType (通行方式), lng, lat.

Each project's docked passes arrive under its virtual device (docking.services.devices). The record id is derived
from (person, second, direction), so a pass is stored once per person, project, second and direction: a resend,
with a new nonce or by another app of the same project, is answered `duplicate` and stores nothing twice; a resend
with other content (another place, another attendType) is refused as a conflict. The ingest's own per-record
answers (not on site that day, future time, bad snapshot…) become the request's per-record failures; stored passes
without a snapshot count as received but not as attendance (the ingest's rule for every source).

`attendType` is stored as the pass's verify mode (≤ 16 characters); `channel` is checked but not stored (a pass
has no channel column; the virtual device has no entrance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.core.errors import DomainError
from smz.devices.models import Device
from smz.devices.services import device_register
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, method
from smz.docking.methods.labor_common import (
    ID_CARD_TYPES,
    RecordRefused,
    moment_not_after,
    refusal_of,
    team,
    today,
)
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import attendance_rows, docking_device_of, people_on_project

DIRECTIONS = {"01": "in", "02": "out"}  # 考勤方向 01 入场 / 02 出场
CONFLICT = (
    "同一人员同一时间（秒）同一方向的考勤已存储且内容不同（位置、通行方式或照片），本条未存储"
)
MAX_IMAGE_CHARS = 200 * 1024  # base64 of a ≈150 KB snapshot


def record_id(worker_id: int, epoch_second: int, direction: str) -> str:
    """The pass's id under the project's docking device: one pass per person, second and direction."""
    return f"dk-{worker_id}-{epoch_second}-{direction}"


def docking_device_for(*, actor: Any, project: Any) -> Device:
    """The project's virtual docking device (serial DOCK-<project code>, kind platform, protocol docking_v1),
    registered on first use through the devices service by the app's service account. Its secret is never
    shown and terminal sign-in checks the protocol, so no terminal can act as it."""
    serial = f"DOCK-{project.code}"
    device = docking_device_of(project, serial)
    if device is not None:
        return device
    try:
        device, _ = device_register(
            actor=actor,
            project=project,
            serial=serial,
            kind=Device.Kind.PLATFORM,
            protocol=Device.Protocol.DOCKING,
            entrance="",
            direction=Device.Direction.BOTH,
            vendor="平台对接",
        )
    except DomainError:  # registered meanwhile by a concurrent request
        found = docking_device_of(project, serial)
        if found is None:
            raise
        return found
    return device


def _coordinate(item: dict[str, Any], name: str) -> float | int | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fields.FieldError(name, "应为数值")
    return value


@dataclass
class _Parsed:
    index: int
    document: tuple[str, str]
    moment: dt.datetime
    direction: str
    attend_type: str
    image: str | None
    lng: float | int | None
    lat: float | int | None


def _parse(call: Call, i: int, item: dict[str, Any]) -> _Parsed:
    moment = moment_not_after(item, "date", now=call.now)
    direction = fields.code(item, "direction", DIRECTIONS)
    image = item.get("image")
    if image is not None and not isinstance(image, str):
        raise fields.FieldError("image", "应为 base64 字符串")
    if image and len(image) > MAX_IMAGE_CHARS:
        raise fields.FieldError("image", "大小超过限制150KB")
    fields.text(item, "channel", required=False, max_length=60)
    attend_type = fields.text(item, "attendType", required=False, max_length=16)
    lng, lat = _coordinate(item, "lng"), _coordinate(item, "lat")
    document = (
        fields.code(item, "idCardType", ID_CARD_TYPES),
        fields.text(item, "idCardNumber", max_length=32),
    )
    return _Parsed(i, document, moment, DIRECTIONS[direction], attend_type, image, lng, lat)


def _raw(
    p: _Parsed, people: dict[tuple[str, str], tuple[int, set[int | None]]], team_: Any
) -> RawPass:
    """The record as the ingest takes it, once its person is known to be on the project and in the team."""
    found = people.get(p.document)
    if found is None:
        raise RecordRefused(
            DockingErrorCode.ORDER_WORKER,
            "[idCardNumber]项目中不存在该证件号码的工人信息,不允许上传该工人的考勤信息",
            "idCardNumber",
        )
    worker_id, teams = found
    labor = teams - {None}
    if labor and team_.pk not in labor:
        raise RecordRefused(
            DockingErrorCode.NOT_IN_TEAM, "[teamSysNo]该工人不属于该班组", "teamSysNo"
        )
    return RawPass(
        record_id=record_id(worker_id, int(p.moment.timestamp()), p.direction),
        person_id=worker_id,
        event_time=p.moment,
        direction=p.direction,
        verify_mode=p.attend_type,
        snapshot=p.image or None,
        lng=p.lng,
        lat=p.lat,
    )


@method(
    "WorkerAttendance.Add",
    asynchronous=True,
    receipt=DockingReceipt.Kind.ATTENDANCE,
    list_field="dataList",
)
def worker_attendance_add(call: Call) -> MethodResult:
    team_ = team(call, call.data)
    items = fields.records(call.data, "dataList")
    result = MethodResult()
    parsed: list[_Parsed] = []
    for i, item in enumerate(items):
        try:
            parsed.append(_parse(call, i, item))
        except fields.FieldError as exc:
            result.refuse(i, *refusal_of(exc))
    people = people_on_project(call.project, {p.document for p in parsed})
    raws: list[RawPass] = []
    positions: list[int] = []
    for p in parsed:
        try:
            raws.append(_raw(p, people, team_))
            positions.append(p.index)
        except RecordRefused as exc:
            result.refuse(p.index, *refusal_of(exc))
    if raws:
        device = docking_device_for(actor=call.actor, project=call.project)
        # One ingest call for the batch: the ingest answers each record on its own (its savepoints), and a
        # refused record never undoes the others.
        answers = pass_records_ingest(device=device, records=raws, now=call.now)
        for i, answer in zip(positions, answers, strict=True):
            if answer["status"] in ("accepted", "duplicate"):
                result.accepted += 1
            elif answer["code"] == AttendanceErrorCode.RECORD_CONFLICT:
                result.refuse(i, answer["code"], CONFLICT)
            else:
                result.refuse(i, answer["code"], answer["reason"])
    result.failures.sort(key=lambda f: f.index)
    return result


@method("WorkerAttendance.Query", asynchronous=False)
def worker_attendance_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    day = fields.date(call.data, "date", today=today(call))
    total, rows = attendance_rows(
        call.actor, call.project, day=day, offset=index * size, limit=size
    )
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
