"""The SIP server's database side: plain synchronous Django ORM, called from one worker thread (server.py runs
every job through a single-thread executor, so SQLite sees one writer and PostgreSQL one connection, and a
job's connection is checked like a request's: close_old_connections before and after).

Online state changes only through services/status.py; channels and device facts through services/cameras.py."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, transaction

from smz.video.models import Camera, CameraOnlineInterval, ProjectVideo, SipRefusal
from smz.video.services.cameras import camera_device_info, channels_discovered
from smz.video.services.status import cameras_gone, cameras_seen, cameras_silent, channel_states

log = logging.getLogger("smz.video.sip")


@dataclass(frozen=True)
class Device:
    """A camera or recorder as REGISTER needs it. `password` None: the site has none set."""

    pk: int
    gb_id: str
    active: bool
    is_recorder: bool
    password: str | None


@dataclass(frozen=True)
class Registration:
    pk: int
    gb_id: str
    transport: str
    address: str
    until: dt.datetime
    is_recorder: bool


def job[R](fn: Callable[[], R]) -> R:
    """Run one unit of database work the way a request would: stale connections dropped around it."""
    close_old_connections()
    try:
        return fn()
    finally:
        close_old_connections()


def device_lookup(gb_id: str) -> Device | None:
    """A directly registering device (source sip, not a recorder's channel) by its id, or None."""
    camera = (
        Camera.objects.filter(gb_id=gb_id, source=Camera.Source.SIP, nvr__isnull=True)
        .select_related("project__video")
        .first()
    )
    if camera is None:
        return None
    video = getattr(camera.project, "video", None)
    return Device(
        pk=camera.pk,
        gb_id=camera.gb_id,
        active=camera.status == Camera.Status.ACTIVE,
        is_recorder=camera.is_recorder,
        password=video.sip_password if video is not None and video.sip_password else None,
    )


def devices_all() -> dict[str, Device]:
    """Every directly registering device, for the server's in-memory table (refreshed every half minute):
    one query, so neither a registration storm nor a flood of unknown ids costs a query each."""
    passwords = dict(ProjectVideo.objects.values_list("project_id", "sip_password"))
    rows = Camera.objects.filter(source=Camera.Source.SIP, nvr__isnull=True).values_list(
        "pk", "gb_id", "status", "kind", "project_id"
    )
    return {
        gb_id: Device(
            pk=pk,
            gb_id=gb_id,
            active=status == Camera.Status.ACTIVE,
            is_recorder=kind in (Camera.Kind.NVR, Camera.Kind.DVR),
            password=passwords.get(project_id) or None,
        )
        for pk, gb_id, status, kind, project_id in rows
    }


def registrations_active(now: dt.datetime) -> list[Registration]:
    """Registrations still valid (a restarted server keeps its devices without making them re-register)."""
    rows = Camera.objects.filter(
        source=Camera.Source.SIP,
        nvr__isnull=True,
        status=Camera.Status.ACTIVE,
        registered_until__gt=now,
    ).exclude(sip_address="")
    return [
        Registration(
            c.pk, c.gb_id, c.sip_transport, c.sip_address, c.registered_until, c.is_recorder
        )
        for c in rows
        if c.registered_until is not None
    ]


@transaction.atomic
def registered(rows: list[tuple[int, dt.datetime, str, str, dt.datetime]]) -> None:
    """Registrations accepted since the last call, (pk, at, transport, address, until): cameras_seen per
    second they span and one bulk update of where each device is."""
    if not rows:
        return
    for at, ids in _by_second([(r[0], r[1]) for r in rows]):
        cameras_seen(ids, at)
    Camera.objects.bulk_update(
        [
            Camera(pk=pk, sip_transport=t, sip_address=a[:64], registered_until=u)
            for pk, _, t, a, u in rows
        ],
        ["sip_transport", "sip_address", "registered_until"],
        batch_size=500,
    )


def unregistered(pk: int, at: dt.datetime) -> None:
    cameras_gone([pk], at, CameraOnlineInterval.EndReason.UNREGISTERED)
    Camera.objects.filter(pk=pk).update(registered_until=at)


def _by_second(rows: list[tuple[int, dt.datetime]]) -> list[tuple[dt.datetime, list[int]]]:
    """Ids grouped by the whole second of their time (rounded down: coverage is never credited for a moment
    nobody vouched for). A flush a second holds one or two groups; a delayed one, one per second it spans."""
    groups: dict[dt.datetime, list[int]] = {}
    for pk, at in rows:
        groups.setdefault(at.replace(microsecond=0), []).append(pk)
    return sorted(groups.items())


def seen_and_silent(
    rows: list[tuple[int, dt.datetime]],
    now: dt.datetime | None,
    keepalive_seconds: int,
    missed: int,
) -> list[int]:
    """A flush: the keepalives batched up to `now` (pk, when), one set-based cameras_seen per second they
    span, then, when `now` is given, the silence check judged at that same moment, so a keepalive still
    waiting in memory is never mistaken for silence however long the job waited. Returns who went offline."""
    for at, ids in _by_second(rows):
        cameras_seen(ids, at)
    if now is None:
        return []
    return cameras_silent(now, keepalive_seconds=keepalive_seconds, missed=missed)


def refusals(rows: list[tuple[str, str, str, str]]) -> None:
    """(gb_id, address, code, detail) rows, already rate-limited by the server."""
    SipRefusal.objects.bulk_create(
        [
            SipRefusal(gb_id=g[:20], address=a[:64], code=c[:40], detail=d[:200])
            for g, a, c, d in rows
        ]
    )


def catalog(pk: int, items: list[dict[str, str]], at: dt.datetime) -> int:
    """A device's whole Catalog: for a recorder, unknown channels created and every channel's ON/OFF applied.
    Returns the number of channels created."""
    device = Camera.objects.filter(pk=pk, status=Camera.Status.ACTIVE).first()
    if device is None or not device.is_recorder:
        return 0
    created = channels_discovered(recorder=device, items=items)
    states = {
        i["DeviceID"]: ("OFF" if i.get("Status", "").upper() in ("OFF", "OFFLINE") else "ON")
        for i in items
        if i.get("DeviceID")
    }
    device.refresh_from_db()
    channel_states(device, states, at)
    return len(created)


def device_infos(rows: list[tuple[int, dict[str, str]]]) -> int:
    """DeviceInfo answers gathered since the last call, (pk, fields); returns how many changed a camera."""
    cameras = Camera.objects.in_bulk([pk for pk, _ in rows])
    changed = 0
    for pk, fields in rows:
        if pk in cameras:
            changed += camera_device_info(
                camera=cameras[pk],
                maker=fields.get("Manufacturer", ""),
                model_name=fields.get("Model", ""),
                firmware=fields.get("Firmware", ""),
            )
    return changed
