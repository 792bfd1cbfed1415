"""Attendance test helpers: the city's today, times of day, a registered gate, one day's passes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.tasks import recompute_days
from smz.devices.models import Device
from smz.devices.services import device_register
from smz.testing.devices import jpeg


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=timezone.get_current_timezone())


def gate_for(world, project_key: str, serial: str) -> Device:
    device, _ = device_register(
        actor=world.user("city_admin"),
        project=world.projects[project_key],
        serial=serial,
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="东门",
        direction=Device.Direction.BOTH,
    )
    return device


def attend(device: Device, worker, day: dt.date, *, snapshot=None, tag: str = "") -> list:
    """A morning entry and an evening exit, then the background recompute (run inline here)."""
    snap = jpeg() if snapshot is None else snapshot
    records = [
        RawPass(f"{tag}{worker.pk}-{day}-in", worker.pk, at(day, 7, 50), "in", "face", 95, snap),
        RawPass(f"{tag}{worker.pk}-{day}-out", worker.pk, at(day, 17, 40), "out", "face", 94, snap),
    ]
    answers = pass_records_ingest(device=device, records=records)
    recompute_days.call(device.project_id, f"{worker.pk}:{day.isoformat()}")
    return answers
