"""Device pages: health list (per project and city-wide), registration with the secret shown once, rotate, retire."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smz.core.errors import DomainError
from smz.core.scoping import can_manage_site
from smz.devices import selectors, services
from smz.devices.models import Device
from smz.registry.selectors import project_get_for, project_list_for


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
        )
    )
    boundaries = selectors.boundaries_for({d.project_id for d in devices})
    rows = [
        {
            "d": d,
            "online": selectors.device_is_online(d),
            "off_site": selectors.device_off_site(d, boundaries),
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
    devices = list(selectors.device_list_for(request.user, project=project.pk))
    boundaries = selectors.boundaries_for({project.pk})
    rows = [
        {
            "d": d,
            "online": selectors.device_is_online(d),
            "off_site": selectors.device_off_site(d, boundaries),
        }
        for d in devices
    ]
    return render(
        request,
        "devices/project.html",
        {
            "project": project,
            "rows": rows,
            "may_manage": may_manage,
            "secret": secret,
            "form": form,
            "kinds": Device.Kind.choices,
            "protocols": Device.Protocol.choices,
            "directions": Device.Direction.choices,
            "boundary": boundaries.get(project.pk),
        },
    )


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
            services.device_command_queue(actor=request.user, device=device, kind="sync_people")
            messages.success(request, f"已向设备 {device.serial} 下发同步人员命令")
        else:
            return HttpResponse(status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("devices:project", pk=device.project_id)
