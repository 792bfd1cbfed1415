"""Video reads, scoped through the projects the user may see; and the coverage of entrances (V1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from smz.core.bulk import AnyOf
from smz.core.errors import Forbidden, NotFound
from smz.core.roles import Role
from smz.core.timeutil import CITY_TZ
from smz.devices.models import Entrance
from smz.registry import scoping
from smz.registry.models import Jurisdiction
from smz.video.models import (
    Camera,
    CameraOnlineInterval,
    ProjectVideo,
    SipRefusal,
    VideoPlatform,
)


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
    # Today only (None for a past day): whether one of its cameras is online at this moment.
    online_now: bool | None = None

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
    """Each open personnel entrance of these projects on record on `day`: seconds of its working hours
    covered by an online camera assigned to it (union over its cameras; an interval still open counts up to
    `now`). For today the window ends at `now`. Three statements, whatever the number of entrances."""
    start, end = working_window(day)
    if now is not None:
        end = min(end, now)
    window = max(0, int((end - start).total_seconds()))
    # An entrance is judged from the day it was recorded: before it there is no record to judge by (N4).
    next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=CITY_TZ)
    entrances = Entrance.objects.filter(
        AnyOf(F("project"), project_ids),  # the city's 1,000 ids as one array (N5)
        kind=Entrance.Kind.PERSONNEL,
        created_at__lt=next_day,
    ).filter(Q(status=Entrance.Status.OPEN) | Q(closed_at__gt=start))
    rows = {
        e.pk: Coverage(
            entrance_id=e.pk, project_id=e.project_id, name=e.name, window_seconds=window
        )
        for e in entrances.only("pk", "project_id", "name").order_by("project_id", "name")
    }
    if not rows:
        return []
    found = list(
        Camera.objects.filter(entrance_id__in=list(rows))
        .filter(Q(status=Camera.Status.ACTIVE) | Q(retired_at__gt=start))
        .values_list("pk", "entrance_id", "online")
    )
    cameras = {pk: entrance for pk, entrance, _ in found}
    for camera, entrance, online in found:
        rows[entrance].cameras.append(camera)
        if now is not None:
            rows[entrance].online_now = bool(rows[entrance].online_now) or online
    if now is not None:
        for row in rows.values():
            row.online_now = bool(row.online_now)
    if window == 0:
        return list(rows.values())
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


# ---- pages (issue 16 items 2 and 6): the site's video page, entrances, cameras, the uncovered list ---------


RECORDER_KINDS = (Camera.Kind.NVR, Camera.Kind.DVR)


def video_project_get_for(user: Any, pk: int) -> Any:
    """A project whose video the user may read: staff of the project's parties and its authorities, never a
    worker (a worker's own project is not his to watch)."""
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        raise NotFound("项目")
    project = scoping.projects_for(user).select_related("jurisdiction").filter(pk=pk).first()
    if project is None:
        raise NotFound("项目")
    return project


def entrance_get_for(user: Any, pk: int) -> Entrance:
    entrance = entrances_for(user).select_related("project", "project__jurisdiction")
    found = entrance.filter(pk=pk).first()
    if found is None:
        raise NotFound("出入口")
    return found


def video_jurisdictions_for(user: Any) -> QuerySet[Jurisdiction]:
    """The towns whose projects the user may see (the camera list's town filter)."""
    return Jurisdiction.objects.filter(
        pk__in=scoping.projects_for(user).values("jurisdiction")
    ).order_by("code")


def camera_list_for(
    user: Any,
    *,
    jurisdiction: str = "",
    project: int | None = None,
    online: str = "",
    kind: str = "",
    unassigned: bool = False,
    status: str = Camera.Status.ACTIVE,
) -> QuerySet[Camera]:
    """The city-wide camera list (like the device list): scoped, filtered, ordered by site and entrance."""
    qs = cameras_for(user).select_related(
        "project", "project__jurisdiction", "entrance", "nvr", "platform"
    )
    if jurisdiction:
        qs = qs.filter(project__jurisdiction__code=jurisdiction)
    if project:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    if online in ("1", "0"):
        qs = qs.filter(online=online == "1")
    if kind:
        qs = qs.filter(kind=kind)
    if unassigned:
        qs = qs.filter(entrance__isnull=True).exclude(kind__in=RECORDER_KINDS)
    return qs.order_by("project__code", "entrance__name", "gb_id")


def camera_counts(qs: QuerySet[Camera]) -> dict[str, int]:
    """Totals of a camera list, one statement: how many, online (up), offline (down), not on an entrance."""
    return qs.order_by().aggregate(
        total=Count("pk"),
        up=Count("pk", filter=Q(online=True)),
        down=Count("pk", filter=Q(online=False, status=Camera.Status.ACTIVE)),
        unassigned=Count("pk", filter=Q(entrance__isnull=True) & ~Q(kind__in=RECORDER_KINDS)),
    )


def intervals_between(
    camera_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]]:
    """Each camera's online intervals overlapping [start, end): (started, ended or None, end reason)."""
    out: dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]] = defaultdict(list)
    for camera_id, started, ended, reason in (
        CameraOnlineInterval.objects.filter(camera_id__in=list(camera_ids), started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .order_by("camera_id", "started_at")
        .values_list("camera_id", "started_at", "ended_at", "end_reason")
    ):
        out[camera_id].append((started, ended, reason))
    return out


def refusals_for(gb_id: str, *, limit: int = 50) -> QuerySet[SipRefusal]:
    """The SIP server's latest refusals of requests claiming this id (the caller checked the camera's scope)."""
    return SipRefusal.objects.filter(gb_id=gb_id).order_by("-at", "-pk")[:limit]


def project_video_summary(project_ids: Iterable[int], day: dt.date, now: dt.datetime) -> dict:
    """Per project: open entrances (personnel / all), active cameras, and entrances uncovered `day` so far."""
    ids = list(project_ids)
    entrances = dict(
        Entrance.objects.filter(project__in=ids, status=Entrance.Status.OPEN)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
    )
    cameras = dict(
        Camera.objects.filter(project__in=ids, status=Camera.Status.ACTIVE)
        .exclude(kind__in=RECORDER_KINDS)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
    )
    uncovered: dict[int, int] = defaultdict(int)
    for c in uncovered_entrances(ids, day, now=now):
        uncovered[c.project_id] += 1
    return {
        pid: {
            "entrances": entrances.get(pid, 0),
            "cameras": cameras.get(pid, 0),
            "uncovered": uncovered.get(pid, 0),
        }
        for pid in ids
    }


def video_counts_for(user: Any, now: dt.datetime) -> dict[str, int]:
    """工作台: the user's active sites' personnel entrances uncovered today so far, and cameras offline now."""
    projects = scoping.projects_for(user).filter(status="active").values_list("pk", flat=True)
    ids = list(projects)
    from_day = uncovered_entrances(ids, now.astimezone(CITY_TZ).date(), now=now)
    offline = (
        Camera.objects.filter(AnyOf(F("project"), ids), status=Camera.Status.ACTIVE, online=False)
        .exclude(kind__in=RECORDER_KINDS)
        .count()
    )
    return {
        "uncovered": len(from_day),
        "projects": len({c.project_id for c in from_day}),
        "offline": offline,
    }


def site_entrances_for(user: Any, project_id: int, *, open_only: bool = False) -> list[Entrance]:
    """A site's entrances the user may see, open ones first."""
    qs = entrances_for(user).filter(project=project_id)
    if open_only:
        qs = qs.filter(status=Entrance.Status.OPEN)
    return list(qs.order_by("-status", "name"))


def site_entrance_for(user: Any, project_id: int, pk: int) -> Entrance | None:
    """One of a site's entrances (a form's choice), or None when it is not the user's to see or not there."""
    return entrances_for(user).filter(project=project_id, pk=pk).first()


def site_cameras_for(user: Any, project_id: int) -> list[Camera]:
    """A site's cameras, recorders and channels, active first."""
    return list(
        cameras_for(user)
        .filter(project=project_id)
        .select_related("entrance", "nvr", "platform")
        .order_by("-status", "gb_id")
    )


def camera_find_for(user: Any, pk: int) -> Camera | None:
    return cameras_for(user).filter(pk=pk).first()


def entrance_cameras_for(user: Any, entrance_id: int) -> list[Camera]:
    return list(
        cameras_for(user)
        .filter(entrance=entrance_id)
        .select_related("nvr", "platform")
        .order_by("-status", "gb_id")
    )


def recorder_channels_for(user: Any, recorder_id: int) -> list[Camera]:
    return list(
        cameras_for(user).filter(nvr=recorder_id).select_related("entrance").order_by("gb_id")
    )


def sip_password_is_set(project_id: int) -> bool:
    return ProjectVideo.objects.filter(project=project_id).exists()


def camera_projects_for(user: Any) -> QuerySet[Any]:
    """The projects with cameras the user may see (the camera list's project filter)."""
    return (
        scoping.projects_for(user)
        .filter(pk__in=cameras_for(user).values("project"))
        .order_by("code")
    )


def uncovered_for(
    user: Any, day: dt.date, *, now: dt.datetime | None, jurisdiction: str = ""
) -> tuple[list[Coverage], dict[int, Any]]:
    """V1 for the user's active sites (a town's own): the uncovered entrances of `day`, and their projects."""
    projects = scoping.projects_for(user).filter(status="active")
    if jurisdiction:
        projects = projects.filter(jurisdiction__code=jurisdiction)
    found = uncovered_entrances(list(projects.values_list("pk", flat=True)), day, now=now)
    by_pk = {
        p.pk: p
        for p in scoping.projects_for(user)
        .filter(pk__in={c.project_id for c in found})
        .select_related("jurisdiction")
    }
    return found, by_pk


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
