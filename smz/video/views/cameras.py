"""Video pages (V1, V2, issue 16 items 2 and 6): a site's video page (entrances, cameras, the SIP password),
an entrance's day, a camera's week, the city-wide camera list and the list of uncovered entrances.

parse → selector (fetch + authorize) → service → render; every read goes through cameras_for / entrances_for /
projects_for, so a neighbour's camera is a 404 and a worker sees none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from smz.core.errors import DomainError, Forbidden, NotFound
from smz.core.timeutil import CITY_TZ, business_date
from smz.devices import services as entrance_services
from smz.devices.models import Entrance
from smz.registry import scoping
from smz.registry.scoping import can_manage_site
from smz.video import selectors
from smz.video.models import Camera, CameraOnlineInterval
from smz.video.services import cameras as camera_services

WEEK = 7
REASONS = dict(CameraOnlineInterval.EndReason.choices)
DAY_MINUTES = 24 * 60


def _day(request: HttpRequest, today: dt.date) -> dt.date:
    """?day=YYYY-MM-DD, not after today; today when absent or malformed."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return today
    return min(day, today)


def _minutes(moment: dt.datetime, day: dt.date) -> int:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CITY_TZ)
    return max(0, min(DAY_MINUTES, round((moment - start).total_seconds() / 60)))


def timeline(
    intervals: list[tuple[dt.datetime, dt.datetime | None, str]], day: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """A day's online intervals as SVG segments on a 1,440-minute axis (no inline style: CSP)."""
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=CITY_TZ)
    day_end = day_start + dt.timedelta(days=1)
    out = []
    for started, ended, _reason in intervals:
        s, e = max(started, day_start), min(ended or now, day_end, now)
        if e <= s:
            continue
        x, x2 = _minutes(s, day), _minutes(e, day)
        out.append(
            {
                "x": x,
                "w": max(1, x2 - x),
                "title": f"{s.astimezone(CITY_TZ):%H:%M}–{e.astimezone(CITY_TZ):%H:%M}"
                + ("（至今在线）" if ended is None and e == now else ""),
            }
        )
    return out


def _window(day: dt.date) -> dict[str, Any]:
    start, end = selectors.working_window(day)
    x = _minutes(start, day)
    return {
        "x": x,
        "w": _minutes(end, day) - x,
        "text": f"{start:%H:%M}–{end:%H:%M}",
        "tolerance": settings.SMZ_VIDEO_GAP_TOLERANCE_MINUTES,
        "hours": [h * 60 for h in range(3, 24, 3)],
    }


def _live_url(camera: Camera) -> str | None:
    """The live view (views/live.py) when it is routed; recorders have none of their own."""
    if camera.is_recorder or camera.status != Camera.Status.ACTIVE:
        return None
    try:
        return reverse("video:live", args=[camera.pk])
    except NoReverseMatch:
        return None


def _fail(request: HttpRequest, exc: DomainError) -> None:
    fields = (exc.detail or {}).get("fields") or {}
    detail = "；".join(str(v) for v in fields.values())
    messages.error(request, f"{exc.message}{'：' + detail if detail else ''}")


def _decimal(value: str) -> Decimal | str | None:
    """A coordinate typed by a person: None when blank, the text itself when it is not a number (the
    service refuses it by name)."""
    value = value.strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return value


def _coverage_row(c: selectors.Coverage | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "covered": c.covered,
        "covered_minutes": c.covered_seconds // 60,
        "window_minutes": c.window_seconds // 60,
        "gap_minutes": c.gap_seconds // 60,
        "cameras": len(c.cameras),
        "online_now": c.online_now,
    }


# ---- a site's video page ------------------------------------------------------------------------------


@login_required
def project_video(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.video_project_get_for(request.user, pk)
    return _project_page(request, project)


def _project_page(
    request: HttpRequest, project: Any, *, password: str | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    today = business_date(now)
    may_manage = can_manage_site(request.user, project)
    entrances = selectors.site_entrances_for(request.user, project.pk)
    cameras = selectors.site_cameras_for(request.user, project.pk)
    coverage = {c.entrance_id: c for c in selectors.entrance_coverage([project.pk], today, now=now)}
    by_entrance: dict[int | None, list[Camera]] = {}
    for c in cameras:
        if c.status == Camera.Status.ACTIVE and not c.is_recorder:
            by_entrance.setdefault(c.entrance_id, []).append(c)
    rows = [
        {
            "e": e,
            "cameras": by_entrance.get(e.pk, []),
            "coverage": _coverage_row(coverage.get(e.pk)),
        }
        for e in entrances
    ]
    open_personnel = [
        r for r in rows if r["e"].status == "open" and r["e"].kind == Entrance.Kind.PERSONNEL
    ]
    return render(
        request,
        "video/project.html",
        {
            "project": project,
            "may_manage": may_manage,
            "rows": rows,
            "cameras": cameras,
            "unassigned": by_entrance.get(None, []),
            "recorders": [c for c in cameras if c.is_recorder and c.status == "active"],
            "open_entrances": [e for e in entrances if e.status == Entrance.Status.OPEN],
            "uncovered": sum(
                1 for r in open_personnel if r["coverage"] and not r["coverage"]["covered"]
            ),
            "personnel": len(open_personnel),
            "window": _window(today),
            "today": today,
            "kinds": Entrance.Kind.choices,
            "password": password,
            "password_set": selectors.sip_password_is_set(project.pk),
            "sip": {
                "server_id": settings.SMZ_SIP_SERVER_ID,
                "realm": settings.SMZ_SIP_REALM,
                "host": settings.SMZ_SIP_HOST,
                "port": settings.SMZ_SIP_PORT,
                "keepalive": settings.SMZ_SIP_KEEPALIVE_SECONDS,
                "city": settings.SMZ_VIDEO_CITY_CODE,
            },
        },
        status=status,
    )


@login_required
@require_POST
def entrance_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.video_project_get_for(request.user, pk)
    form = request.POST
    try:
        entrance = entrance_services.entrance_create(
            actor=request.user,
            project=project,
            name=form.get("name", ""),
            kind=form.get("kind", ""),
            position=form.get("position", ""),
            lng=_decimal(form.get("lng", "")),
            lat=_decimal(form.get("lat", "")),
        )
        messages.success(request, f"出入口“{entrance.name}”已添加")
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        _fail(request, exc)
    return redirect("video:project", pk=project.pk)


@login_required
@require_POST
def sip_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or generate the site's SIP password: shown once, on this answer only."""
    project = selectors.video_project_get_for(request.user, pk)
    try:
        password = camera_services.sip_password_set(
            actor=request.user, project=project, password=request.POST.get("password", "")
        )
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        _fail(request, exc)
        return redirect("video:project", pk=project.pk)
    messages.success(request, "SIP注册密码已保存：请立即配置到摄像机或录像机，此密码只显示这一次。")
    return _project_page(request, project, password=password)


@login_required
@require_POST
def camera_register(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.video_project_get_for(request.user, pk)
    form = request.POST
    entrance = nvr = None
    if form.get("entrance", "").isdigit():
        entrance = selectors.site_entrance_for(request.user, project.pk, int(form["entrance"]))
    if form.get("nvr", "").isdigit():
        nvr = selectors.camera_find_for(request.user, int(form["nvr"]))
    try:
        if form.get("entrance") and entrance is None:
            raise NotFound("出入口")
        if form.get("nvr") and nvr is None:
            raise NotFound("录像机")
        camera = camera_services.camera_register(
            actor=request.user,
            project=project,
            gb_id=form.get("gb_id", "").strip(),
            name=form.get("name", ""),
            entrance=entrance,
            nvr=nvr,
            maker=form.get("maker", ""),
            model_name=form.get("model_name", ""),
        )
        messages.success(request, f"视频监控点 {camera.gb_id} 已登记")
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        _fail(request, exc)
    return redirect("video:project", pk=project.pk)


@login_required
@require_POST
def entrance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    entrance = selectors.entrance_get_for(request.user, pk)
    try:
        if action == "close":
            entrance_services.entrance_close(actor=request.user, entrance=entrance)
            messages.success(request, f"出入口“{entrance.name}”已关闭")
        elif action == "reopen":
            entrance_services.entrance_reopen(actor=request.user, entrance=entrance)
            messages.success(request, f"出入口“{entrance.name}”已重新启用")
        elif action == "update":
            form = request.POST
            entrance_services.entrance_update(
                actor=request.user,
                entrance=entrance,
                name=form.get("name", ""),
                kind=form.get("kind", ""),
                position=form.get("position", ""),
                lng=_decimal(form.get("lng", "")),
                lat=_decimal(form.get("lat", "")),
            )
            messages.success(request, f"出入口“{entrance.name}”已保存")
            return redirect("video:entrance", pk=entrance.pk)
        else:
            return HttpResponse(status=404)
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        _fail(request, exc)
    return redirect("video:project", pk=entrance.project_id)


@login_required
@require_POST
def camera_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    camera = selectors.camera_get_for(request.user, pk)
    try:
        if action == "assign":
            raw = request.POST.get("entrance", "")
            entrance = None
            if raw:
                entrance = selectors.site_entrance_for(
                    request.user, camera.project_id, int(raw) if raw.isdigit() else 0
                )
                if entrance is None:
                    raise NotFound("出入口")
            camera_services.camera_assign(actor=request.user, camera=camera, entrance=entrance)
            messages.success(
                request,
                f"{camera.name} 已指定到 {entrance.name}"
                if entrance
                else f"{camera.name} 已取消指定出入口",
            )
        elif action == "retire":
            camera_services.camera_retire(actor=request.user, camera=camera)
            messages.success(request, f"视频监控点 {camera.gb_id} 已停用")
        else:
            return HttpResponse(status=404)
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _fail(request, exc)
    if request.POST.get("next") == "camera":
        return redirect("video:camera", pk=camera.pk)
    return redirect("video:project", pk=camera.project_id)


# ---- an entrance's day and a camera's week -------------------------------------------------------------


@login_required
def entrance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entrance = selectors.entrance_get_for(request.user, pk)
    now = timezone.now()
    today = business_date(now)
    day = _day(request, today)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CITY_TZ)
    cameras = selectors.entrance_cameras_for(request.user, entrance.pk)
    intervals = selectors.intervals_between(
        [c.pk for c in cameras], start, start + dt.timedelta(days=1)
    )
    coverage = next(
        (
            c
            for c in selectors.entrance_coverage(
                [entrance.project_id], day, now=now if day == today else None
            )
            if c.entrance_id == entrance.pk
        ),
        None,
    )
    return render(
        request,
        "video/entrance.html",
        {
            "entrance": entrance,
            "project": entrance.project,
            "may_manage": can_manage_site(request.user, entrance.project),
            "day": day,
            "today": today,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1) if day < today else None,
            "window": _window(day),
            "coverage": _coverage_row(coverage),
            "rows": [
                {
                    "c": c,
                    "segments": timeline(intervals.get(c.pk, []), day, now),
                    "live_url": _live_url(c),
                }
                for c in cameras
            ],
            "kinds": Entrance.Kind.choices,
            # 实时视频 (views/live.py) of the entrance's first camera that comes through the city's platform.
            "player_camera": next(
                (
                    c
                    for c in cameras
                    if c.source == Camera.Source.PLATFORM
                    and c.status == Camera.Status.ACTIVE
                    and not c.is_recorder
                ),
                None,
            )
            if day == today
            else None,
        },
    )


@login_required
def camera_detail(request: HttpRequest, pk: int) -> HttpResponse:
    camera = selectors.camera_get_for(request.user, pk)
    now = timezone.now()
    today = business_date(now)
    first = today - dt.timedelta(days=WEEK - 1)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=CITY_TZ)
    intervals = selectors.intervals_between([camera.pk], start, now)[camera.pk]
    days = [
        {"day": d, "segments": timeline(intervals, d, now), "window": _window(d)}
        for d in (today - dt.timedelta(days=n) for n in range(WEEK))
    ]
    channels = (
        selectors.recorder_channels_for(request.user, camera.pk) if camera.is_recorder else []
    )
    may_manage = can_manage_site(request.user, camera.project)
    return render(
        request,
        "video/camera.html",
        {
            "camera": camera,
            "project": camera.project,
            "may_manage": may_manage,
            "days": days,
            "intervals": [
                {"started": s, "ended": e, "reason": REASONS.get(r, r)}
                for s, e, r in sorted(intervals, key=lambda i: i[0], reverse=True)
            ],
            "refusals": selectors.refusals_for(camera.gb_id),
            "channels": channels,
            "live_url": _live_url(camera),
            "entrances": selectors.site_entrances_for(
                request.user, camera.project_id, open_only=True
            )
            if may_manage
            else [],
        },
    )


# ---- city-wide: the camera list and the uncovered entrances ----------------------------------------------


@login_required
def camera_list(request: HttpRequest) -> HttpResponse:
    if not (scoping.is_authority(request.user) or scoping.is_enterprise_user(request.user)):
        raise NotFound("页面")
    g = request.GET
    project = g.get("project", "")
    qs = selectors.camera_list_for(
        request.user,
        jurisdiction=g.get("jurisdiction", ""),
        project=int(project) if project.isdigit() else None,
        online=g.get("online", ""),
        kind=g.get("kind", "") if g.get("kind", "") in Camera.Kind.values else "",
        unassigned=g.get("unassigned") == "1",
        status=g.get("status", Camera.Status.ACTIVE)
        if g.get("status", Camera.Status.ACTIVE) in ("", *Camera.Status.values)
        else Camera.Status.ACTIVE,
    )
    page = Paginator(qs, 50).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "video/cameras.html",
        {
            "page": page,
            "counts": selectors.camera_counts(qs),
            "projects": selectors.camera_projects_for(request.user),
            "jurisdictions": selectors.video_jurisdictions_for(request.user),
            "kinds": Camera.Kind.choices,
            "statuses": Camera.Status.choices,
            "f": {
                k: g.get(k, "") for k in ("jurisdiction", "project", "online", "kind", "unassigned")
            }
            | {"status": g.get("status", Camera.Status.ACTIVE)},
            "query": query.urlencode(),
        },
    )


@login_required
def uncovered(request: HttpRequest) -> HttpResponse:
    """V1: the open personnel entrances without an online camera in the working hours of a day (today so
    far by default), of the projects the user may see."""
    if not (scoping.is_authority(request.user) or scoping.is_enterprise_user(request.user)):
        raise NotFound("页面")
    now = timezone.now()
    today = business_date(now)
    day = _day(request, today)
    jurisdiction = request.GET.get("jurisdiction", "")
    found, by_pk = selectors.uncovered_for(
        request.user, day, now=now if day == today else None, jurisdiction=jurisdiction
    )
    rows = [
        {
            "c": c,
            "project": by_pk[c.project_id],
            "gap_minutes": c.gap_seconds // 60,
            "covered_minutes": c.covered_seconds // 60,
        }
        for c in sorted(found, key=lambda c: (by_pk[c.project_id].code, c.name))
    ]
    return render(
        request,
        "video/uncovered.html",
        {
            "rows": rows,
            "day": day,
            "today": today,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1) if day < today else None,
            "window": _window(day),
            "jurisdictions": selectors.video_jurisdictions_for(request.user),
            "jurisdiction": jurisdiction,
            "projects": len({r["project"].pk for r in rows}),
        },
    )
