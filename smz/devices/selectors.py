"""Device reads, scoped through the projects the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from smz.core import scoping
from smz.core.errors import NotFound
from smz.core.timeutil import business_date
from smz.devices.models import ONLINE_WITHIN_SECONDS, Device, SiteBoundary


def _devices_for(user: Any) -> QuerySet[Device]:
    """Terminals are staff business (authorities, participants' staff): a ZKTeco terminal is known by its
    serial alone, so a worker is shown none (issue 10 matrix)."""
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        return Device.objects.none()
    return Device.objects.filter(project__in=scoping.projects_for(user).values("pk"))


def device_list_for(user: Any, *, project: int | None = None, status: str = "") -> QuerySet[Device]:
    qs = _devices_for(user).select_related("project", "project__jurisdiction")
    if project:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    today = business_date(timezone.now())
    since = timezone.now() - dt.timedelta(days=1)
    return qs.annotate(
        passes_today=Count("passes", filter=Q(passes__work_date=today), distinct=True),
        invalid_today=Count(
            "passes", filter=Q(passes__work_date=today, passes__valid=False), distinct=True
        ),
        rejections_24h=Count("rejections", filter=Q(rejections__at__gte=since), distinct=True),
    ).order_by("project__code", "entrance", "serial")


def device_get_for(user: Any, pk: int) -> Device:
    device = _devices_for(user).filter(pk=pk).first()
    if device is None:
        raise NotFound("设备")
    return device


def device_is_online(device: Device, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        device.last_heartbeat_at
        and (now - device.last_heartbeat_at).total_seconds() <= ONLINE_WITHIN_SECONDS
    )


def device_off_site(device: Device, boundaries: dict[int, SiteBoundary]) -> bool | None:
    """True/False when both the device position and the site boundary are known; None otherwise."""
    boundary = boundaries.get(device.project_id)
    if boundary is None or device.lng is None or device.lat is None:
        return None
    return not boundary.contains(float(device.lng), float(device.lat))


def boundaries_for(project_ids: set[int]) -> dict[int, SiteBoundary]:
    return {b.project_id: b for b in SiteBoundary.objects.filter(project__in=project_ids)}
