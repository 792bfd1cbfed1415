"""Device registry writes (D1): register, rotate secret, retire, queue commands. All evented."""

from __future__ import annotations

import ipaddress
import secrets
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.devices.errors import DevicesErrorCode
from smz.devices.events import DevicesEventKind
from smz.devices.models import Device, DeviceCommand, Entrance, SiteBoundary, TerminalNetwork
from smz.devices.selectors import address_normalize, gate_projects_of
from smz.registry.models import Project
from smz.registry.scoping import can_manage_site

TERMINAL_NETWORK_MAX_CIDRS = 50
# Devices that are not at one way onto the site: tablets punch anywhere inside its boundary, and the docking
# platform's virtual device is no device at all.
NO_FIXED_ENTRANCE = (Device.Kind.TABLET, Device.Kind.PLATFORM)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def device_register(
    *,
    actor: Any,
    project: Project,
    serial: str,
    kind: str,
    protocol: str,
    entrance: str,
    direction: str = Device.Direction.BOTH,
    vendor: str = "",
    model_name: str = "",
    lng: Decimal | None = None,
    lat: Decimal | None = None,
    utc_offset_minutes: int = 480,
) -> tuple[Device, str]:
    """Register a device to one project; returns the device and its secret (shown once)."""
    if not can_manage_site(actor, project):
        raise Forbidden("无权为该项目登记设备")
    errors = {}
    serial = serial.strip()
    if not serial or len(serial) > 64:
        errors["serial"] = "设备序列号不能为空且不超过64个字符"
    if kind not in Device.Kind.values:
        errors["kind"] = "设备类型无效"
    if protocol not in Device.Protocol.values:
        errors["protocol"] = "协议无效"
    if direction not in Device.Direction.values:
        errors["direction"] = "方向无效"
    entrance = entrance.strip()
    if len(entrance) > 60:
        errors["entrance"] = "出入口名称不超过60个字符"
    elif not entrance and kind not in NO_FIXED_ENTRANCE:
        errors["entrance"] = "出入口不能为空（仅移动平板可不指定出入口）"
    elif entrance and kind == Device.Kind.PLATFORM:
        errors["entrance"] = "平台对接的虚拟设备没有出入口"
    if (lng is None) != (lat is None):
        errors["lng"] = "经纬度需同时填写"
    if kind == Device.Kind.TABLET and protocol != Device.Protocol.DIRECT_V1:
        errors["protocol"] = "移动平板使用设备直连协议"
    if errors:
        raise field_errors(errors)
    secret = _new_secret()
    try:
        with transaction.atomic():
            device = Device.objects.create(
                project=project,
                serial=serial,
                kind=kind,
                protocol=protocol,
                entrance=entrance_named(actor=actor, project=project, name=entrance)
                if entrance
                else None,
                direction=direction,
                vendor=vendor,
                model_name=model_name,
                lng=lng,
                lat=lat,
                utc_offset_minutes=utc_offset_minutes,
                secret=secret,
                registered_by=actor,
            )
            event_record(
                actor=actor,
                kind=DevicesEventKind.DEVICE_REGISTERED,
                subject=device,
                data={"project": project.pk},
            )
    except IntegrityError as exc:
        raise DomainError(
            DevicesErrorCode.SERIAL_TAKEN,
            "该序列号已登记",
            {"fields": {"serial": "序列号已被登记"}},
            status=409,
        ) from exc
    return device, secret


def entrance_named(*, actor: Any, project: Project, name: str) -> Entrance:
    """The project's entrance of that name, created (a personnel entrance) the first time a device names it."""
    entrance, created = Entrance.objects.get_or_create(
        project=project, name=name.strip(), defaults={"created_by": actor}
    )
    if created:
        event_record(
            actor=actor,
            kind=DevicesEventKind.ENTRANCE_CREATED,
            subject=entrance,
            data={"project": project.pk},
        )
    return entrance


def device_rotate_secret(*, actor: Any, device: Device) -> str:
    if not can_manage_site(actor, device.project):
        raise Forbidden("无权管理该设备")
    secret = _new_secret()
    with transaction.atomic():
        device.secret = secret
        device.save(update_fields=["secret", "updated_at"])
        event_record(actor=actor, kind=DevicesEventKind.DEVICE_SECRET_ROTATED, subject=device)
    return secret


def device_retire(*, actor: Any, device: Device) -> Device:
    if not can_manage_site(actor, device.project):
        raise Forbidden("无权管理该设备")
    if device.status == Device.Status.RETIRED:
        raise DomainError(DevicesErrorCode.ALREADY_RETIRED, "设备已停用")
    with transaction.atomic():
        device.status = Device.Status.RETIRED
        device.retired_at = timezone.now()
        device.save(update_fields=["status", "retired_at", "updated_at"])
        event_record(actor=actor, kind=DevicesEventKind.DEVICE_RETIRED, subject=device)
    return device


def device_command_queue(
    *, actor: Any, device: Device, kind: str, payload: dict | None = None
) -> DeviceCommand:
    if kind not in DeviceCommand.Kind.values:
        raise field_errors({"kind": "命令无效"})
    with transaction.atomic():
        command = DeviceCommand.objects.create(device=device, kind=kind, payload=payload or {})
        event_record(
            actor=actor,
            kind=DevicesEventKind.DEVICE_COMMAND_QUEUED,
            subject=device,
            data={"command": command.pk, "kind": kind},
        )
    return command


def device_people_sync_request(*, actor: Any, device: Device) -> DeviceCommand:
    """同步人员 pressed on the device page: the whole site roster to one terminal. The roster is the site's
    personal data, so only those who manage the site's equipment may send it (issue 10 item 3)."""
    if not can_manage_site(actor, device.project):
        raise Forbidden("无权向该设备下发人员名单", code=DevicesErrorCode.SYNC_FORBIDDEN)
    if device.status != Device.Status.ACTIVE:
        raise DomainError(DevicesErrorCode.ALREADY_RETIRED, "设备已停用")
    return device_command_queue(actor=actor, device=device, kind=DeviceCommand.Kind.SYNC_PEOPLE)


def _roster_sync_waiting(device: Device) -> bool:
    """A whole-roster sync is queued and none of it is sent yet."""
    return any(
        "workers" not in (c.payload or {})
        for c in DeviceCommand.objects.filter(
            device=device,
            kind=DeviceCommand.Kind.SYNC_PEOPLE,
            status=DeviceCommand.Status.PENDING,
            sent_at__isnull=True,
        )
    )


def zkteco_address_pin(*, device: Device, address: str) -> bool:
    """First contact of an unbound ZKTeco terminal: bind it to this address and queue its site's roster
    (a new terminal knows no one). False when another request bound it first."""
    now = timezone.now()
    with transaction.atomic():
        pinned = Device.objects.filter(pk=device.pk, bound_address__isnull=True).update(
            bound_address=address, bound_at=now
        )
        if not pinned:
            return False
        device.bound_address, device.bound_at = address, now
        event_record(
            actor=None,
            kind=DevicesEventKind.DEVICE_ADDRESS_PINNED,
            subject=device,
            data={"address": address},
        )
        if not _roster_sync_waiting(device):
            device_command_queue(actor=None, device=device, kind=DeviceCommand.Kind.SYNC_PEOPLE)
    return True


def device_rebind(*, actor: Any, device: Device, address: str) -> Device:
    """Re-bind a ZKTeco terminal (moved, new SIM): to the address given, or, with none, to the address it
    next calls from. Site admins only; audited with the old and new address."""
    if not can_manage_site(actor, device.project):
        raise Forbidden("无权管理该设备")
    if device.protocol != Device.Protocol.ZKTECO_PUSH:
        raise DomainError(DevicesErrorCode.NOT_ZKTECO, "仅 ZKTeco 终端按来源地址绑定")
    new = address_normalize(address) if address.strip() else None
    if address.strip() and new is None:
        raise field_errors({"address": "不是有效的IP地址"})
    with transaction.atomic():
        old = device.bound_address
        device.bound_address = new
        device.bound_at = timezone.now() if new else None
        device.save(update_fields=["bound_address", "bound_at", "updated_at"])
        event_record(
            actor=actor,
            kind=DevicesEventKind.DEVICE_ADDRESS_REBOUND,
            subject=device,
            data={"from": old, "to": new},
        )
    return device


def terminal_network_set(*, actor: Any, project: Project, cidrs: list[str]) -> TerminalNetwork:
    """The project's terminal address allow-list (CIDRs, e.g. the private 4G APN range); empty clears it."""
    if not can_manage_site(actor, project):
        raise Forbidden("无权设置该项目的终端地址白名单")
    networks: list[str] = []
    for n, text in enumerate(cidrs, start=1):
        try:
            parsed = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise field_errors({"cidrs": f"第 {n} 行不是有效的地址段（如 10.20.0.0/16）"}) from None
        if str(parsed) not in networks:
            networks.append(str(parsed))
    if len(networks) > TERMINAL_NETWORK_MAX_CIDRS:
        raise field_errors({"cidrs": f"最多 {TERMINAL_NETWORK_MAX_CIDRS} 个地址段"})
    with transaction.atomic():
        network, _ = TerminalNetwork.objects.update_or_create(
            project=project, defaults={"cidrs": networks, "updated_by": actor}
        )
        event_record(
            actor=actor,
            kind=DevicesEventKind.PROJECT_TERMINAL_NETWORK_SET,
            subject=project,
            data={"cidrs": networks},
        )
    return network


def _zkteco_terminals(projects: Any) -> QuerySet[Device]:
    return Device.objects.filter(
        project__in=projects, protocol=Device.Protocol.ZKTECO_PUSH, status=Device.Status.ACTIVE
    )


def zkteco_command_for_projects(
    *, actor: Any, projects: Any, kind: str, payload: dict | None = None
) -> int:
    """Queue a command on every active ZKTeco terminal of these projects (ids or a values queryset):
    those terminals take only what the server sends; device-direct terminals pull people themselves."""
    n = 0
    for device in _zkteco_terminals(projects):
        device_command_queue(actor=actor, device=device, kind=kind, payload=payload)
        n += 1
    return n


def zkteco_people_sync(*, actor: Any, projects: Any, workers: list[int]) -> int:
    """Tell these projects' ZKTeco terminals about these people: admitted ones get their user and face,
    anyone else is deleted. A terminal's people sync that is still waiting (nothing of it sent yet) takes
    them in instead of a second command, so admitting fifty people one by one sends fifty faces once, not
    the whole site roster fifty times. Returns how many commands were queued anew."""
    named = sorted({int(w) for w in workers})
    queued = 0
    for device in _zkteco_terminals(projects):
        with transaction.atomic():
            waiting = (
                DeviceCommand.objects.select_for_update()
                .filter(
                    device=device,
                    kind=DeviceCommand.Kind.SYNC_PEOPLE,
                    status=DeviceCommand.Status.PENDING,
                    sent_at__isnull=True,
                )
                .order_by("pk")
                .first()
            )
            if waiting is None:
                device_command_queue(
                    actor=actor,
                    device=device,
                    kind=DeviceCommand.Kind.SYNC_PEOPLE,
                    payload={"workers": named},
                )
                queued += 1
            elif "workers" in (waiting.payload or {}):  # without a list it is a full sync: covered
                waiting.payload = {
                    **waiting.payload,
                    "workers": sorted(set(waiting.payload["workers"]) | set(named)),
                }
                waiting.save(update_fields=["payload"])
    return queued


def zkteco_face_push(*, actor: Any, worker_id: int) -> int:
    """A new face for a person: sent to every ZKTeco terminal of every project where he is admitted to the
    gates (device-direct terminals pull it by their watermark). Returns how many commands were queued."""
    return zkteco_people_sync(
        actor=actor, projects=gate_projects_of(worker_id=worker_id), workers=[worker_id]
    )


def site_boundary_set(*, actor: Any, project: Project, polygon: list[list[float]]) -> SiteBoundary:
    """Set the project's site polygon ([[lng, lat], ...], at least 3 points)."""
    if not can_manage_site(actor, project):
        raise Forbidden("无权设置该项目的现场范围")
    try:
        points = [[float(p[0]), float(p[1])] for p in polygon]
    except (TypeError, ValueError, IndexError) as exc:
        raise field_errors({"polygon": "坐标格式应为 [[经度, 纬度], ...]"}) from exc
    if len(points) < 3 or any(not (-180 <= x <= 180 and -90 <= y <= 90) for x, y in points):
        raise field_errors({"polygon": "至少3个点，经纬度需在有效范围内"})
    with transaction.atomic():
        boundary, _ = SiteBoundary.objects.update_or_create(
            project=project, defaults={"polygon": points, "updated_by": actor}
        )
        event_record(
            actor=actor,
            kind=DevicesEventKind.PROJECT_SITE_BOUNDARY_SET,
            subject=project,
            data={"points": len(points)},
        )
    return boundary
