"""Device-direct protocol v1 (设备直连, 附件7): /device/v1/. Spec: docs/interfaces/device-direct.md."""

import base64
import datetime as dt
import json
import random
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Schema
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.ingest import (
    BIGINT_MAX,
    MAX_BATCH,
    UNSTORABLE_CHARS,
    RawPass,
    pass_records_ingest,
)
from smz.attendance.snapshots import MIN_SNAPSHOT_HEIGHT, MIN_SNAPSHOT_WIDTH
from smz.core import signing
from smz.core.api_errors import install_envelope
from smz.core.errors import DomainError
from smz.core.timeutil import parse_aware
from smz.devices.models import Device, DeviceCommand
from smz.devices.selectors import gate_changes_since
from smz.labor.services.idcard import idcard_scan_ingest
from smz.registry.models import Worker
from smz.terminals.auth import (
    NonceReplayed,
    authenticate_device,
    nonce_record,
    nonce_refuse,
    nonces_purge,
)
from smz.terminals.errors import HEARTBEAT_CODES, TerminalsErrorCode, device_error

HEARTBEAT_SECONDS = 30
PEOPLE_PAGE_MAX = 100
# A request body is refused (413) from its Content-Length, before it is read. Django refuses larger bodies
# anyway (DATA_UPLOAD_MAX_MEMORY_SIZE, the same 20 MB).
BODY_MAX_BYTES = 20 * 1024 * 1024
BATCH_ID_MAX = 64
# A heartbeat's device_time further than this from the server clock is not stored as a clock offset.
CLOCK_WINDOW = dt.timedelta(days=7)


class DirectAuth:
    """ninja auth callable: a valid signature authenticates the device (request.device)."""

    openapi_type = "apiKey"

    def __init__(self, *, nonce_later: bool = False) -> None:
        self.nonce_later = nonce_later  # the view records the nonce in its own transaction

    def __call__(self, request: HttpRequest) -> Device:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > BODY_MAX_BYTES:
            raise device_error(TerminalsErrorCode.BODY_TOO_LARGE, {"max_bytes": BODY_MAX_BYTES})
        try:
            device = authenticate_device(
                request, protocol=Device.Protocol.DIRECT_V1, nonce_later=self.nonce_later
            )
        except RequestDataTooBig:
            raise device_error(
                TerminalsErrorCode.BODY_TOO_LARGE, {"max_bytes": BODY_MAX_BYTES}
            ) from None
        request.device = device
        return device


device_api = NinjaAPI(
    title="smz 设备直连接口 v1（附件7）",
    version="1.0.0",
    description="Device-initiated JSON over HTTPS, HMAC-SHA256 signed. See docs/interfaces/device-direct.md.",
    auth=DirectAuth(),
    urls_namespace="device_v1",
    docs_url=None,
)


install_envelope(device_api, validation_message="请求参数格式错误")


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (
        ValueError,
        RecursionError,
    ):  # UnicodeDecodeError is a ValueError; RecursionError: nesting
        raise device_error(TerminalsErrorCode.BAD_JSON) from None
    if not isinstance(data, dict):
        raise device_error(TerminalsErrorCode.BAD_JSON)
    return data


def text_ok(value: Any, *, max_length: int) -> bool:
    """A string the database stores as sent: at most max_length chars, no control chars or surrogates."""
    return (
        isinstance(value, str) and len(value) <= max_length and not UNSTORABLE_CHARS.search(value)
    )


# No control characters; lone surrogates fail pydantic's own UTF-8 check (string_unicode). A pattern checked
# in pydantic-core costs far less than a Python validator (7 µs a record instead of 17).
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class PassIn(BaseModel):
    """One pass record as 附件7 §6 defines it; strictly typed (no "5" for 5, no true for 1)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    record_id: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NO_CONTROL),
    ]
    person_id: Annotated[int, Field(ge=1, le=BIGINT_MAX)]
    time: Annotated[str, StringConstraints(max_length=40, pattern=NO_CONTROL)]
    direction: Literal["in", "out", ""] | None = None
    verify_mode: Annotated[str, StringConstraints(max_length=16, pattern=NO_CONTROL)] | None = None
    similarity: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    snapshot: str | None = None
    lng: Annotated[Coordinate, Field(ge=-180, le=180)] | None = None
    lat: Annotated[Coordinate, Field(ge=-90, le=90)] | None = None


# The rejection code of a record whose field fails PassIn, by field.
FIELD_CODES = {
    "record_id": AttendanceErrorCode.RECORD_BAD_ID,
    "person_id": AttendanceErrorCode.PERSON_INVALID,
    "time": AttendanceErrorCode.TIME_INVALID,
    "direction": AttendanceErrorCode.DIRECTION_INVALID,
    "verify_mode": AttendanceErrorCode.VERIFY_MODE_INVALID,
    "similarity": AttendanceErrorCode.SIMILARITY_INVALID,
    "snapshot": AttendanceErrorCode.SNAPSHOT_BAD_BASE64,
    "lng": AttendanceErrorCode.LOCATION_INVALID,
    "lat": AttendanceErrorCode.LOCATION_INVALID,
}


def _echo_id(value: Any) -> str:
    """The record id to answer with, even for a refused record (the answer must always encode)."""
    if not isinstance(value, str):
        return ""
    return UNSTORABLE_CHARS.sub("\ufffd", value.strip())[:64]


def pass_record_parse(value: Any, *, direction_required: bool = False) -> RawPass:
    """One record of a batch → a RawPass; a bad record comes back with `refused` set, never raises."""
    if not isinstance(value, dict):
        return RawPass(
            record_id="",
            person_id=None,
            event_time="",
            refused=AttendanceErrorCode.RECORD_MALFORMED,
        )
    try:
        rec = PassIn.model_validate(value)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        refused = FIELD_CODES.get(field, AttendanceErrorCode.RECORD_MALFORMED)
        return RawPass(
            record_id=_echo_id(value.get("record_id")),
            person_id=None,
            event_time="",
            refused=refused,
        )
    moment: dt.datetime | str = parse_aware(rec.time) or rec.time
    refused = ""
    if isinstance(moment, str):
        try:
            dt.datetime.fromisoformat(moment)
            refused = AttendanceErrorCode.TIME_NAIVE
        except ValueError:
            refused = AttendanceErrorCode.TIME_INVALID
    direction = rec.direction or ""
    if not direction and direction_required:
        refused = refused or AttendanceErrorCode.DIRECTION_MISSING
    return RawPass(
        record_id=rec.record_id,
        person_id=rec.person_id,
        event_time=moment,
        direction=direction,
        verify_mode=rec.verify_mode or "",
        similarity=rec.similarity,
        snapshot=rec.snapshot,
        lng=rec.lng,
        lat=rec.lat,
        refused=refused,
        clean=True,  # PassIn checked the text fields and the person id as the ingest check would
    )


def _batch_id(request: HttpRequest, data: dict[str, Any]) -> str:
    """The batch's idempotency key from the body or the header; refused if malformed, too long or if they differ."""
    in_body = data.get("batch_id")
    in_header = request.headers.get(signing.HEADER_BATCH) or None
    for value in (in_body, in_header):
        if value is not None and not (text_ok(value, max_length=BATCH_ID_MAX) and value.strip()):
            raise device_error(TerminalsErrorCode.BAD_BATCH_ID, {"max_length": BATCH_ID_MAX})
    if in_body is not None and in_header is not None and in_body != in_header:
        raise device_error(TerminalsErrorCode.BATCH_ID_MISMATCH)
    return in_body or in_header or ""


class HeartbeatOut(Schema):
    server_time: dt.datetime
    clock_offset_ms: int | None
    config: dict
    people_cursor: str
    commands: list[dict]
    refused: list[dict]


def _refused_field(field: str, code: str) -> dict[str, str]:
    return {"field": field, "code": code, "reason": HEARTBEAT_CODES[code]}


@device_api.post("/heartbeat", response=HeartbeatOut, summary="心跳：服务器时间、配置、待执行命令")
def heartbeat(request: HttpRequest):
    device: Device = request.device
    data = _body(request)
    now = timezone.now()
    offset = None
    refused: list[dict[str, str]] = []
    if (raw_time := data.get("device_time")) is not None:
        device_time = parse_aware(raw_time) if text_ok(raw_time, max_length=40) else None
        if device_time is None:
            refused.append(_refused_field("device_time", AttendanceErrorCode.TIME_INVALID))
        elif abs(device_time - now) > CLOCK_WINDOW:
            # Not stored: a clock years off is no offset to correct by (and overflows the column).
            refused.append(_refused_field("device_time", TerminalsErrorCode.TIME_OUT_OF_RANGE))
        else:
            offset = int((device_time - now).total_seconds() * 1000)
    firmware = data.get("firmware")
    if firmware is not None and not text_ok(firmware, max_length=60):
        refused.append(_refused_field("firmware", TerminalsErrorCode.FIRMWARE_INVALID))
        firmware = None
    with transaction.atomic():
        commands = list(
            DeviceCommand.objects.select_for_update()
            .filter(
                device=device, status__in=[DeviceCommand.Status.PENDING, DeviceCommand.Status.SENT]
            )
            .order_by("pk")[:20]
        )
        DeviceCommand.objects.filter(
            pk__in=[c.pk for c in commands], status=DeviceCommand.Status.PENDING
        ).update(status=DeviceCommand.Status.SENT, sent_at=now)
        Device.objects.filter(pk=device.pk).update(
            last_heartbeat_at=now,
            clock_offset_ms=offset if offset is not None else F("clock_offset_ms"),
            firmware=device.firmware if firmware is None else firmware,
        )
    if random.random() < 0.01:  # noqa: S311 - housekeeping sampling, not security
        nonces_purge()
    return {
        "server_time": now,
        "clock_offset_ms": offset,
        "config": {
            "heartbeat_seconds": HEARTBEAT_SECONDS,
            "batch_max": MAX_BATCH,
            "batch_id_max": BATCH_ID_MAX,
            "body_max_bytes": BODY_MAX_BYTES,
            "people_page_max": PEOPLE_PAGE_MAX,
            "min_snapshot": [MIN_SNAPSHOT_WIDTH, MIN_SNAPSHOT_HEIGHT],
            "utc_offset_minutes": device.utc_offset_minutes,
            "project_code": device.project.code,
            "direction": device.direction,
        },
        "people_cursor": device.people_cursor,
        "commands": [{"id": c.pk, "kind": c.kind, "payload": c.payload} for c in commands],
        "refused": refused,
    }


_CURSOR = re.compile(r"(\d{1,16})-(\d{1,19})")


def _cursor_parse(cursor: Any) -> tuple[dt.datetime, int] | None:
    """`<microseconds>-<id>` as the platform handed it out; anything else is refused (400)."""
    if cursor == "":
        return None
    match = _CURSOR.fullmatch(cursor) if isinstance(cursor, str) else None
    try:
        if match is None or int(match[2]) > BIGINT_MAX:
            raise ValueError(cursor)
        moment = dt.datetime.fromtimestamp(int(match[1]) / 1_000_000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise device_error(TerminalsErrorCode.PEOPLE_BAD_CURSOR) from None
    return moment, int(match[2])


def _cursor(version: dt.datetime, pk: int) -> str:
    return f"{int(version.timestamp() * 1_000_000)}-{pk}"


@device_api.get("/people", summary="增量下载本项目人员（分页，含删除）")
def people(request: HttpRequest, cursor: str = "", limit: int = PEOPLE_PAGE_MAX):
    device: Device = request.device
    limit = max(1, min(limit, PEOPLE_PAGE_MAX))
    # One item per person (the gate roster decides, as for ZKTeco); the cursor's id is the person's.
    rows = gate_changes_since(
        project_id=device.project_id, after=_cursor_parse(cursor), limit=limit + 1
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    workers = Worker.objects.in_bulk([p.worker_id for p in rows if p.on_gate])
    items = []
    for person in rows:
        item: dict[str, Any] = {
            "person_id": person.worker_id,
            "op": "upsert" if person.on_gate else "delete",
            "version": _cursor(person.version, person.worker_id),
        }
        if person.on_gate:
            worker = workers[person.worker_id]
            item["name"] = worker.name
            item["face_jpeg"] = _face_b64(worker)
            item["role"] = person.role
        items.append(item)
    next_cursor = items[-1]["version"] if items else cursor
    return {"items": items, "next_cursor": next_cursor, "has_more": has_more}


def _face_b64(worker: Any) -> str | None:
    if not worker.face_photo:
        return None
    with worker.face_photo.open("rb") as fh:
        return base64.b64encode(fh.read()).decode()


class AckIn(Schema):
    cursor: str


@device_api.post("/people/ack", summary="确认已处理到某个游标")
def people_ack(request: HttpRequest):
    device: Device = request.device
    cursor = _body(request).get("cursor", "")
    _cursor_parse(cursor)
    Device.objects.filter(pk=device.pk).update(people_cursor=cursor)
    return {"people_cursor": cursor}


@device_api.post(
    "/passes", summary="批量上传通行记录（≤500条），逐条应答", auth=DirectAuth(nonce_later=True)
)
def passes(request: HttpRequest):
    device: Device = request.device
    data = _body(request)
    project_code = data.get("project_code")
    if project_code not in (None, "") and project_code != device.project.code:
        raise DomainError(TerminalsErrorCode.WRONG_PROJECT, "设备不属于该项目", status=403)
    records = data.get("records")
    if not isinstance(records, list):
        raise DomainError(TerminalsErrorCode.BAD_JSON, "records 应为数组", status=400)
    if len(records) > MAX_BATCH:
        raise device_error(TerminalsErrorCode.BATCH_TOO_LARGE)
    batch_id = _batch_id(request, data)
    direction_required = device.direction not in (Device.Direction.IN, Device.Direction.OUT)
    raw = [pass_record_parse(r, direction_required=direction_required) for r in records]
    nonce = request.device_nonce
    try:
        results = pass_records_ingest(
            device=device,
            records=raw,
            batch_id=batch_id,
            first=lambda: nonce_record(device, nonce),
        )
    except NonceReplayed:
        raise nonce_refuse(device) from None
    counts = {
        s: sum(1 for r in results if r["status"] == s)
        for s in ("accepted", "duplicate", "conflict", "rejected")
    }
    return {"results": results, **counts}


@device_api.post("/commands/{command_id}/ack", summary="命令执行结果")
def command_ack(request: HttpRequest, command_id: int):
    device: Device = request.device
    data = _body(request)
    command = None
    if 1 <= command_id <= BIGINT_MAX:
        command = DeviceCommand.objects.filter(device=device, pk=command_id).first()
    if command is None:
        raise DomainError(TerminalsErrorCode.COMMAND_UNKNOWN, "命令不存在", status=404)
    ok = data.get("ok") is True
    message = data.get("message")
    DeviceCommand.objects.filter(pk=command.pk).update(
        status=DeviceCommand.Status.DONE if ok else DeviceCommand.Status.FAILED,
        acked_at=timezone.now(),
        result=UNSTORABLE_CHARS.sub("", message)[:200] if isinstance(message, str) else "",
    )
    return {"id": command.pk, "status": "done" if ok else "failed"}


@device_api.post("/id-cards", summary="读卡登记：上传二代身份证信息和现场人脸")
def id_cards(request: HttpRequest):
    """An ID-card reader or tablet at the entry desk; idempotent on record_id (a retry gets the same scan)."""
    scan, created = idcard_scan_ingest(device=request.device, payload=_body(request))
    return {
        "scan_id": scan.pk,
        "person_id": scan.worker_id,
        "status": "accepted" if created else "duplicate",
        "face_ok": scan.face_ok,
        "face_problem": scan.face_problem,
    }
