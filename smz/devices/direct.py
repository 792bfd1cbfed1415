"""Device-direct protocol v1 (设备直连, 附件7): /device/v1/. Spec: docs/interfaces/device-direct.md."""

import base64
import datetime as dt
import json
import random
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema

from smz.attendance.ingest import (
    MAX_BATCH,
    MIN_SNAPSHOT_HEIGHT,
    MIN_SNAPSHOT_WIDTH,
    RawPass,
    pass_records_ingest,
)
from smz.core.errors import DomainError
from smz.core.timeutil import parse_aware
from smz.devices import signing
from smz.devices.auth import authenticate_device, nonces_purge
from smz.devices.errors import device_error
from smz.devices.models import Device, DeviceCommand
from smz.registry.models import Employment

HEARTBEAT_SECONDS = 30
PEOPLE_PAGE_MAX = 100


class DirectAuth:
    """ninja auth callable: a valid signature authenticates the device (request.device)."""

    openapi_type = "apiKey"

    def __call__(self, request: HttpRequest) -> Device:
        device = authenticate_device(request, protocol=Device.Protocol.DIRECT_V1)
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


@device_api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return device_api.create_response(request, exc.as_dict(), status=exc.status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise device_error("device.bad_json") from None
    if not isinstance(data, dict):
        raise device_error("device.bad_json")
    return data


class HeartbeatOut(Schema):
    server_time: dt.datetime
    clock_offset_ms: int | None
    config: dict
    people_cursor: str
    commands: list[dict]


@device_api.post("/heartbeat", response=HeartbeatOut, summary="心跳：服务器时间、配置、待执行命令")
def heartbeat(request: HttpRequest):
    device: Device = request.device
    data = _body(request)
    now = timezone.now()
    offset = None
    device_time = parse_aware(str(data.get("device_time", "")))
    if device_time is not None:
        offset = int((device_time - now).total_seconds() * 1000)
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
            firmware=str(data.get("firmware", device.firmware))[:60],
        )
    if random.random() < 0.01:  # noqa: S311 - housekeeping sampling, not security
        nonces_purge()
    return {
        "server_time": now,
        "clock_offset_ms": offset,
        "config": {
            "heartbeat_seconds": HEARTBEAT_SECONDS,
            "batch_max": MAX_BATCH,
            "people_page_max": PEOPLE_PAGE_MAX,
            "min_snapshot": [MIN_SNAPSHOT_WIDTH, MIN_SNAPSHOT_HEIGHT],
            "utc_offset_minutes": device.utc_offset_minutes,
            "project_code": device.project.code,
            "direction": device.direction,
        },
        "people_cursor": device.people_cursor,
        "commands": [{"id": c.pk, "kind": c.kind, "payload": c.payload} for c in commands],
    }


def _cursor_parse(cursor: str) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        micros, pk = cursor.split("-", 1)
        return dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC), int(pk)
    except ValueError:
        raise DomainError("people.bad_cursor", "游标格式错误", status=400) from None


def _cursor(version: dt.datetime, pk: int) -> str:
    return f"{int(version.timestamp() * 1_000_000)}-{pk}"


@device_api.get("/people", summary="增量下载本项目人员（分页，含删除）")
def people(request: HttpRequest, cursor: str = "", limit: int = PEOPLE_PAGE_MAX):
    device: Device = request.device
    limit = max(1, min(limit, PEOPLE_PAGE_MAX))
    qs = (
        Employment.objects.filter(project=device.project_id)
        .select_related("worker")
        .annotate(version=Greatest("updated_at", "worker__updated_at"))
    )
    after = _cursor_parse(cursor)
    if after is not None:
        qs = qs.filter(Q(version__gt=after[0]) | Q(version=after[0], pk__gt=after[1]))
    rows = list(qs.order_by("version", "pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for e in rows:
        active = e.status == Employment.Status.ACTIVE and e.gate_status == "admitted"
        item: dict[str, Any] = {
            "person_id": e.worker_id,
            "op": "upsert" if active else "delete",
            "version": _cursor(e.version, e.pk),
        }
        if active:
            item["name"] = e.worker.name
            item["face_jpeg"] = _face_b64(e.worker)
            item["role"] = e.work_role
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
    cursor = str(_body(request).get("cursor", ""))
    _cursor_parse(cursor)
    Device.objects.filter(pk=device.pk).update(people_cursor=cursor)
    return {"people_cursor": cursor}


@device_api.post("/passes", summary="批量上传通行记录（≤500条），逐条应答")
def passes(request: HttpRequest):
    device: Device = request.device
    data = _body(request)
    project_code = data.get("project_code")
    if project_code and project_code != device.project.code:
        raise DomainError("device.wrong_project", "设备不属于该项目", status=403)
    records = data.get("records")
    if not isinstance(records, list):
        raise DomainError("device.bad_json", "records 应为数组", status=400)
    if len(records) > MAX_BATCH:
        raise device_error("device.batch_too_large")
    raw = []
    for r in records:
        if not isinstance(r, dict):
            r = {}
        raw.append(
            RawPass(
                record_id=str(r.get("record_id", "")),
                person_id=r.get("person_id"),
                event_time=str(r.get("time", "")),
                direction=str(r.get("direction", "")),
                verify_mode=str(r.get("verify_mode", "")),
                similarity=r.get("similarity"),
                snapshot=r.get("snapshot"),
                lng=r.get("lng"),
                lat=r.get("lat"),
            )
        )
    batch_id = str(data.get("batch_id") or request.headers.get(signing.HEADER_BATCH, ""))[:64]
    results = pass_records_ingest(device=device, records=raw, batch_id=batch_id)
    counts = {
        s: sum(1 for r in results if r["status"] == s)
        for s in ("accepted", "duplicate", "rejected")
    }
    return {"results": results, **counts}


@device_api.post("/commands/{command_id}/ack", summary="命令执行结果")
def command_ack(request: HttpRequest, command_id: int):
    device: Device = request.device
    data = _body(request)
    command = DeviceCommand.objects.filter(device=device, pk=command_id).first()
    if command is None:
        raise DomainError("command.unknown", "命令不存在", status=404)
    ok = bool(data.get("ok", False))
    DeviceCommand.objects.filter(pk=command.pk).update(
        status=DeviceCommand.Status.DONE if ok else DeviceCommand.Status.FAILED,
        acked_at=timezone.now(),
        result=str(data.get("message", ""))[:200],
    )
    return {"id": command.pk, "status": "done" if ok else "failed"}


@device_api.post("/id-cards", summary="读卡登记：上传二代身份证信息和现场人脸")
def id_cards(request: HttpRequest):
    """An ID-card reader or tablet at the entry desk; idempotent on record_id (a retry gets the same scan)."""
    from smz.labor.idcard import idcard_scan_ingest

    scan, created = idcard_scan_ingest(device=request.device, payload=_body(request))
    return {
        "scan_id": scan.pk,
        "person_id": scan.worker_id,
        "status": "accepted" if created else "duplicate",
        "face_ok": scan.face_ok,
        "face_problem": scan.face_problem,
    }
