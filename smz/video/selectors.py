"""Video reads, scoped through the projects the user may see; and the coverage of entrances (V1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from smz.core.errors import Forbidden, NotFound
from smz.core.roles import Role
from smz.core.timeutil import CITY_TZ
from smz.devices.models import Entrance
from smz.registry import scoping
from smz.video.models import Camera, CameraOnlineInterval, VideoPlatform


def cameras_for(user: Any) -> QuerySet[Camera]:
    """Cameras are staff business, like gates: authorities and the site's participants, never a worker."""
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        return Camera.objects.none()
    return Camera.objects.filter(project__in=scoping.projects_for(user).values("pk"))


def camera_get_for(user: Any, pk: int) -> Camera:
    camera = (
        cameras_for(user)
        .select_related("project", "entrance", "nvr", "platform")
        .filter(pk=pk)
        .first()
    )
    if camera is None:
        raise NotFound("视频监控点")
    return camera


def entrances_for(user: Any) -> QuerySet[Entrance]:
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        return Entrance.objects.none()
    return Entrance.objects.filter(project__in=scoping.projects_for(user).values("pk"))


def working_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's working hours at the sites (settings.SMZ_VIDEO_WORKING_HOURS, city time), aware."""
    start, end = (dt.time.fromisoformat(t) for t in settings.SMZ_VIDEO_WORKING_HOURS)
    return (
        dt.datetime.combine(day, start, tzinfo=CITY_TZ),
        dt.datetime.combine(day, end, tzinfo=CITY_TZ),
    )


@dataclass
class Coverage:
    """An entrance's working hours of one day: how many seconds an assigned camera was online."""

    entrance_id: int
    project_id: int
    name: str
    window_seconds: int
    covered_seconds: int = 0
    cameras: list[int] = field(default_factory=list)

    @property
    def gap_seconds(self) -> int:
        return self.window_seconds - self.covered_seconds

    @property
    def covered(self) -> bool:
        """Covered: a camera, and gaps adding up to no more than the tolerance."""
        tolerance = settings.SMZ_VIDEO_GAP_TOLERANCE_MINUTES * 60
        return bool(self.cameras) and self.gap_seconds <= tolerance


def _union_seconds(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    total = 0.0
    cur_start: dt.datetime | None = None
    cur_end: dt.datetime | None = None
    for start, end in sorted(spans):
        if cur_end is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += (cur_end - cur_start).total_seconds()
            cur_start, cur_end = start, end
        elif end > cur_end:
            cur_end = end
    if cur_end is not None and cur_start is not None:
        total += (cur_end - cur_start).total_seconds()
    return int(total)


def entrance_coverage(
    project_ids: Iterable[int], day: dt.date, *, now: dt.datetime | None = None
) -> list[Coverage]:
    """Each open personnel entrance of these projects on `day`: seconds of its working hours covered by an
    online camera assigned to it (union over its cameras; an interval still open counts up to `now`). For
    today the window ends at `now`. Three statements, whatever the number of entrances."""
    start, end = working_window(day)
    if now is not None:
        end = min(end, now)
    window = max(0, int((end - start).total_seconds()))
    entrances = Entrance.objects.filter(
        project_id__in=list(project_ids),
        kind=Entrance.Kind.PERSONNEL,
    ).filter(Q(status=Entrance.Status.OPEN) | Q(closed_at__gt=start))
    rows = {
        e.pk: Coverage(
            entrance_id=e.pk, project_id=e.project_id, name=e.name, window_seconds=window
        )
        for e in entrances.only("pk", "project_id", "name").order_by("project_id", "name")
    }
    if not rows or window == 0:
        return list(rows.values())
    cameras = dict(
        Camera.objects.filter(entrance_id__in=list(rows))
        .filter(Q(status=Camera.Status.ACTIVE) | Q(retired_at__gt=start))
        .values_list("pk", "entrance_id")
    )
    for camera, entrance in cameras.items():
        rows[entrance].cameras.append(camera)
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    open_end = now or end
    for camera_id, started, ended in (
        CameraOnlineInterval.objects.filter(camera_id__in=list(cameras), started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list("camera_id", "started_at", "ended_at")
    ):
        s = max(started, start)
        e = min(ended or open_end, end)
        if e > s:
            spans[cameras[camera_id]].append((s, e))
    for entrance, items in spans.items():
        rows[entrance].covered_seconds = _union_seconds(items)
    return list(rows.values())


def uncovered_entrances(
    project_ids: Iterable[int], day: dt.date, *, now: dt.datetime | None = None
) -> list[Coverage]:
    """V1: the open personnel entrances of `day` that had no online camera for longer than the tolerance."""
    return [c for c in entrance_coverage(project_ids, day, now=now) if not c.covered]


# ---- the city's video platforms (市视频监控平台): configured by the city administrator alone


def may_manage_platforms(user: Any) -> bool:
    """Only the city administrator (or a superuser) configures the video platforms."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.role == Role.CITY_ADMIN)
    )


def require_platforms(user: Any) -> None:
    if not may_manage_platforms(user):
        raise Forbidden("仅市级管理员可配置视频平台")


def platforms_for(user: Any) -> QuerySet[VideoPlatform]:
    """Every platform with its number of cameras, for the city administrator."""
    require_platforms(user)
    return VideoPlatform.objects.annotate(
        camera_count=Count("cameras", filter=Q(cameras__status=Camera.Status.ACTIVE)),
        online_count=Count(
            "cameras", filter=Q(cameras__status=Camera.Status.ACTIVE, cameras__online=True)
        ),
    ).order_by("name", "pk")


def platform_get_for(user: Any, pk: int) -> VideoPlatform:
    require_platforms(user)
    platform = VideoPlatform.objects.filter(pk=pk).first()
    if platform is None:
        raise NotFound("视频平台")
    return platform
