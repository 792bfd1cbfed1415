"""Device pages: health list (per project and city-wide), registration with the secret shown once, rotate, retire."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smz.core.errors import DomainError, Forbidden
from smz.core.signing import WINDOW_SECONDS
from smz.devices import selectors, services
from smz.devices.errors import DevicesErrorCode
from smz.devices.models import Device
from smz.registry.scoping import can_manage_site
from smz.registry.selectors import project_get_for, project_list_for

# 附件1: a device keeps its clock within 5 s; beyond the ±300 s signing window (附件7) its requests are refused.
CLOCK_DRIFT_ALLOWED_MS = 5_000


def clock_error(offset_ms: int | None) -> dict[str, str] | None:
    """The device's clock offset for people: "+1.2 秒", "−3 分 5 秒", with how serious it is."""
    if offset_ms is None:
        return None
    sign = "+" if offset_ms > 0 else "−" if offset_ms < 0 else ""
    size = abs(offset_ms)
    if size < 60_000:
        text = f"{size / 1000:.1f}".removesuffix(".0") + " 秒"
    else:
        seconds = round(size / 1000)
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        units = [(days, "天"), (hours, "小时"), (minutes, "分"), (secs, "秒")]
        first = next(i for i, (n, _) in enumerate(units) if n)
        text = " ".join(f"{n} {unit}" for n, unit in units[first : first + 2] if n)
    title = f"{offset_ms} 毫秒（设备时间减服务器时间）"
    if size > WINDOW_SECONDS * 1000:
        level = "danger"
        title += f"：超出 ±{WINDOW_SECONDS} 秒的签名时间窗，设备请求将被拒收，请立即校时"
    elif size > CLOCK_DRIFT_ALLOWED_MS:
        level = "warning"
        title += f"：超过设备参数要求的 {CLOCK_DRIFT_ALLOWED_MS // 1000} 秒，请校时"
    else:
        level = "ok"
    return {"text": sign + text, "title": title, "level": level}


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value.strip() else None
    except InvalidOperation:
        return None


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    project = request.GET.get("project", "")
    devices = list(
        selectors.device_list_for(
            request.user,
            project=int(project) if project.isdigit() else None,
            status=request.GET.get("status", ""),
            offline=request.GET.get("online") == "0",
        )
    )
    boundaries = selectors.boundaries_for({d.project_id for d in devices})
    refused = selectors.refused_addresses_for(devices)
    rows = [
        {
            "d": d,
            "online": selectors.device_is_online(d),
            "clock": clock_error(d.clock_offset_ms),
            "off_site": selectors.device_off_site(d, boundaries),
            "refused": refused.get(d.pk),
        }
        for d in devices
    ]
    if request.GET.get("off_site") == "1":
        rows = [r for r in rows if r["off_site"]]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "devices/list.html",
        {
            "page": page,
            "projects": project_list_for(request.user),
            "project": project,
            "statuses": Device.Status.choices,
        },
    )


@login_required
def project_devices(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's devices, and (for its roster staff) the registration form; the new secret is shown once."""
    project = project_get_for(request.user, pk)
    may_manage = can_manage_site(request.user, project)
    secret = None
    form = {}
    if request.method == "POST":
        if not may_manage:
            return HttpResponse("无权为该项目登记设备", status=403)
        form = request.POST
        try:
            device, secret = services.device_register(
                actor=request.user,
                project=project,
                serial=form.get("serial", ""),
                kind=form.get("kind", ""),
                protocol=form.get("protocol", ""),
                entrance=form.get("entrance", ""),
                direction=form.get("direction", "both"),
                vendor=form.get("vendor", ""),
                lng=_decimal(form.get("lng", "")),
                lat=_decimal(form.get("lat", "")),
            )
            messages.success(
                request, f"设备 {device.serial} 已登记。请立即将密钥写入设备，此密钥只显示这一次。"
            )
            form = {}
        except DomainError as exc:
            messages.error(request, exc.message)
            form = form | {"errors": exc.detail.get("fields", {})}
    return _project_page(request, project, may_manage=may_manage, secret=secret, form=form)


def _project_page(
    request: HttpRequest,
    project,
    *,
    may_manage: bool,
    secret: str | None = None,
    form=None,
    boundary_text: str | None = None,
    status: int = 200,
) -> HttpResponse:
    devices = list(selectors.device_list_for(request.user, project=project.pk))
    boundaries = selectors.boundaries_for({project.pk})
    refused = selectors.refused_addresses_for(devices)
    rows = [
        {
            "d": d,
            "online": selectors.device_is_online(d),
            "clock": clock_error(d.clock_offset_ms),
            "off_site": selectors.device_off_site(d, boundaries),
            "refused": refused.get(d.pk),
        }
        for d in devices
    ]
    boundary = boundaries.get(project.pk)
    return render(
        request,
        "devices/project.html",
        {
            "project": project,
            "rows": rows,
            "may_manage": may_manage,
            "secret": secret,
            "form": form or {},
            "kinds": Device.Kind.choices,
            "protocols": Device.Protocol.choices,
            "directions": Device.Direction.choices,
            "boundary": boundary,
            "boundary_text": _points_text(boundary) if boundary_text is None else boundary_text,
            "site_map": site_map(boundary, devices),
            "terminal_cidrs": "\n".join(selectors.terminal_network_cidrs(project.pk)),
            "entrances": selectors.entrances_of(project.pk),
            "has_zkteco": any(d.protocol == Device.Protocol.ZKTECO_PUSH for d in devices),
        },
        status=status,
    )


def _points_text(boundary) -> str:
    return "\n".join(f"{lng:.6f},{lat:.6f}" for lng, lat in boundary.polygon) if boundary else ""


def _points_parse(text: str) -> list[list[float]]:
    points = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace("，", ",").replace(" ", ",").split(",")
        parts = [p for p in parts if p]
        try:
            points.append([float(parts[0]), float(parts[1])])
        except (IndexError, ValueError):
            raise DomainError(
                DevicesErrorCode.POLYGON_INVALID,
                f"第 {number} 行应为“经度,纬度”，例如 113.392100,22.517600",
            ) from None
    return points


def site_map(boundary, devices: list[Device], width: int = 480, height: int = 320) -> dict | None:
    """An SVG sketch of the site polygon and the devices' positions (no map tiles: sites sit behind VPNs)."""
    pts = [tuple(p) for p in boundary.polygon] if boundary else []
    marks = [
        (float(d.lng), float(d.lat), d) for d in devices if d.lng is not None and d.lat is not None
    ]
    every = pts + [(x, y) for x, y, _ in marks]
    if not every:
        return None
    min_x, max_x = min(p[0] for p in every), max(p[0] for p in every)
    min_y, max_y = min(p[1] for p in every), max(p[1] for p in every)
    span = max(max_x - min_x, max_y - min_y, 0.0005) * 1.15
    cx, cy = (min_x + max_x) / 2, (min_y + max_y) / 2
    scale = min(width, height) / span

    def to_px(x: float, y: float) -> tuple[float, float]:
        return round(width / 2 + (x - cx) * scale, 1), round(height / 2 - (y - cy) * scale, 1)

    return {
        "width": width,
        "height": height,
        "polygon": " ".join(f"{a},{b}" for a, b in (to_px(x, y) for x, y in pts)),
        "devices": [
            {
                "x": to_px(x, y)[0],
                "y": to_px(x, y)[1],
                "serial": d.serial,
                "off_site": bool(boundary) and not boundary.contains(x, y),
                "label_end": to_px(x, y)[0] > width * 0.55,  # labels on the right run leftwards
            }
            for x, y, d in marks
        ],
    }


@login_required
@require_POST
def site_boundary(request: HttpRequest, pk: int) -> HttpResponse:
    """施工现场范围 entered as one "lng,lat" per line (D5): passes located outside are kept and flagged."""
    project = project_get_for(request.user, pk)
    try:
        services.site_boundary_set(
            actor=request.user,
            project=project,
            polygon=_points_parse(request.POST.get("points", "")),
        )
        messages.success(request, "现场范围已保存：此后场外的设备与打卡将被标记")
    except DomainError as exc:
        detail = "；".join(str(v) for v in (exc.detail or {}).values())
        messages.error(request, f"{exc.message}{'：' + detail if detail else ''}")
        return _project_page(
            request,
            project,
            may_manage=can_manage_site(request.user, project),
            boundary_text=request.POST.get("points", ""),
            status=exc.status,
        )
    return redirect("devices:project", pk=project.pk)


@login_required
@require_POST
def terminal_network(request: HttpRequest, pk: int) -> HttpResponse:
    """终端地址白名单: one CIDR per line; the project's ZKTeco terminals are served only from inside it."""
    project = project_get_for(request.user, pk)
    cidrs = [line for line in request.POST.get("cidrs", "").splitlines() if line.strip()]
    try:
        services.terminal_network_set(actor=request.user, project=project, cidrs=cidrs)
        messages.success(request, "终端地址白名单已保存")
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        detail = "；".join(str(v) for v in (exc.detail.get("fields") or {}).values())
        messages.error(request, f"{exc.message}{'：' + detail if detail else ''}")
    return redirect("devices:project", pk=project.pk)


@login_required
@require_POST
def device_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    device = selectors.device_get_for(request.user, pk)
    try:
        if action == "rotate":
            secret = services.device_rotate_secret(actor=request.user, device=device)
            messages.success(
                request, f"设备 {device.serial} 的新密钥：{secret}（只显示这一次，旧密钥已失效）"
            )
        elif action == "retire":
            services.device_retire(actor=request.user, device=device)
            messages.success(request, f"设备 {device.serial} 已停用")
        elif action == "sync":
            services.device_people_sync_request(actor=request.user, device=device)
            messages.success(request, f"已向设备 {device.serial} 下发同步人员命令")
        elif action == "rebind":
            address = request.POST.get("address", "")
            services.device_rebind(actor=request.user, device=device, address=address)
            messages.success(
                request,
                f"设备 {device.serial} 已绑定到 {device.bound_address}"
                if device.bound_address
                else f"设备 {device.serial} 已解除绑定：下次连接的地址将被绑定",
            )
        else:
            return HttpResponse(status=404)
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("devices:project", pk=device.project_id)
