"""Camera registry (V1, V2): GB/T 28181 ids checked, scoped registration, online intervals, entrance coverage."""

from __future__ import annotations

import datetime as dt

import pytest

from smz.core.errors import DomainError, Forbidden
from smz.core.timeutil import CITY_TZ
from smz.devices.models import Entrance
from smz.testing.video import entrance_with_camera, gb
from smz.video.gbid import GbIdError, gb_id_parse
from smz.video.models import Camera, CameraOnlineInterval
from smz.video.selectors import entrance_coverage, uncovered_entrances
from smz.video.services.cameras import camera_register, camera_retire, sip_password_set
from smz.video.services.status import cameras_gone, cameras_seen, cameras_silent, channel_states

DAY = dt.date(2026, 11, 2)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=CITY_TZ)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("4420000000132700000", "video.gb_id_invalid"),  # 19 digits
        ("442000000013270000１", "video.gb_id_invalid"),  # a full-width digit
        (44200000001327000001, "video.gb_id_invalid"),  # a number, not text
        ("00200000001327000001", "video.gb_id_invalid"),
        ("44010000001327000001", "video.gb_id_wrong_city"),  # Guangzhou's division
        ("44200000002007000001", "video.gb_id_wrong_type"),  # a platform id, not a camera
    ],
)
def test_v2_gb_id_refusals_name_the_reason(value: object, code: str) -> None:
    with pytest.raises(GbIdError) as exc:
        gb_id_parse(value, city_code="442000")
    assert exc.value.code == code


def test_v2_gb_id_fields() -> None:
    parsed = gb_id_parse(gb("118", 42), city_code="442000")
    assert (parsed.centre, parsed.industry, parsed.type_code, parsed.network, parsed.serial) == (
        "44200000",
        "00",
        "118",
        "7",
        "000042",
    )


def test_v1_register_is_scoped_and_the_id_unique(world) -> None:
    p1, p2 = world.projects["p1"], world.projects["p2"]
    _, camera = entrance_with_camera(world.user("gc_labor"), p1)
    assert camera.kind == Camera.Kind.IPC and camera.source == Camera.Source.SIP
    with pytest.raises(Forbidden):
        camera_register(
            actor=world.user("neighbour_labor"), project=p1, gb_id=gb(serial=2), name="x"
        )
    with pytest.raises(DomainError) as exc:
        camera_register(actor=world.user("gc_labor"), project=p1, gb_id=gb(serial=1), name="again")
    assert exc.value.code == "video.gb_id_taken"
    other = Entrance.objects.create(project=p2, name="西门")
    with pytest.raises(DomainError) as exc:
        camera_register(
            actor=world.user("gc_labor"), project=p1, gb_id=gb(serial=3), name="x", entrance=other
        )
    assert exc.value.detail["fields"]["entrance"] == "出入口不属于该项目"


def test_v1_recorder_channels_and_password(world) -> None:
    p1 = world.projects["p1"]
    actor = world.user("gc_labor")
    nvr = camera_register(actor=actor, project=p1, gb_id=gb("118", 10), name="录像机")
    gate = Entrance.objects.create(project=p1, name="北门")
    with pytest.raises(DomainError):  # a channel's id is a camera's, not a recorder's
        camera_register(actor=actor, project=p1, gb_id=gb("118", 11), name="x", nvr=nvr)
    ch = camera_register(
        actor=actor, project=p1, gb_id=gb("131", 11), name="北门通道", nvr=nvr, entrance=gate
    )
    assert ch.nvr == nvr
    with pytest.raises(DomainError):
        sip_password_set(actor=actor, project=p1, password="short")
    assert len(sip_password_set(actor=actor, project=p1)) >= 8


def test_v1_intervals_open_once_and_end_at_the_last_keepalive(world) -> None:
    _, camera = entrance_with_camera(world.user("gc_labor"), world.projects["p1"])
    assert cameras_seen([camera.pk], at(7)) == [camera.pk]
    assert cameras_seen([camera.pk], at(7, 1)) == []  # a keepalive: still the one interval
    cameras_seen([camera.pk], at(9))
    # Silent from 09:00: at 09:03 three keepalives (60 s) are missed; the interval ends at 09:00.
    assert cameras_silent(at(9, 2), keepalive_seconds=60, missed=3) == []
    assert cameras_silent(
        at(
            9,
            3,
        )
        + dt.timedelta(seconds=1),
        keepalive_seconds=60,
        missed=3,
    ) == [camera.pk]
    interval = CameraOnlineInterval.objects.get(camera=camera)
    assert (interval.started_at, interval.ended_at, interval.end_reason) == (
        at(7),
        at(9),
        CameraOnlineInterval.EndReason.KEEPALIVE_TIMEOUT,
    )
    cameras_seen([camera.pk], at(10))
    assert CameraOnlineInterval.objects.filter(camera=camera).count() == 2


def test_v1_a_recorder_takes_its_channels_with_it(world) -> None:
    p1 = world.projects["p1"]
    actor = world.user("gc_labor")
    nvr = camera_register(actor=actor, project=p1, gb_id=gb("118", 20), name="录像机")
    a = camera_register(actor=actor, project=p1, gb_id=gb("131", 21), name="A", nvr=nvr)
    b = camera_register(actor=actor, project=p1, gb_id=gb("131", 22), name="B", nvr=nvr)
    cameras_seen([nvr.pk], at(7))
    assert set(Camera.objects.filter(online=True).values_list("pk", flat=True)) == {
        nvr.pk,
        a.pk,
        b.pk,
    }
    nvr.refresh_from_db()
    channel_states(nvr, {a.gb_id: "ON", b.gb_id: "OFF"}, at(8))
    assert not Camera.objects.get(pk=b.pk).online
    cameras_gone([nvr.pk], at(12), CameraOnlineInterval.EndReason.UNREGISTERED)
    ended = dict(CameraOnlineInterval.objects.values_list("camera_id", "ended_at"))
    assert ended == {nvr.pk: at(12), a.pk: at(12), b.pk: at(8)}
    # B stays OFF when the recorder returns; A comes back with it.
    cameras_seen([nvr.pk], at(13))
    assert set(Camera.objects.filter(online=True).values_list("pk", flat=True)) == {nvr.pk, a.pk}


def test_v1_coverage_unions_cameras_and_forgives_short_gaps(world, settings) -> None:
    settings.SMZ_VIDEO_WORKING_HOURS = ("07:00", "19:00")
    settings.SMZ_VIDEO_GAP_TOLERANCE_MINUTES = 30
    p1 = world.projects["p1"]
    actor = world.user("gc_labor")
    east, one = entrance_with_camera(actor, p1, name="东门", serial=1)
    _, two = entrance_with_camera(actor, p1, name="东门", serial=2)
    west = Entrance.objects.create(project=p1, name="西门")
    Entrance.objects.create(project=p1, name="车辆门", kind=Entrance.Kind.VEHICLE)
    # East: camera one 06:00–12:00, camera two 11:50–18:40 → covered 07:00–18:40, gap 20 min: forgiven.
    CameraOnlineInterval.objects.create(camera=one, started_at=at(6), ended_at=at(12))
    CameraOnlineInterval.objects.create(camera=two, started_at=at(11, 50), ended_at=at(18, 40))
    rows = {c.name: c for c in entrance_coverage([p1.pk], DAY)}
    assert set(rows) == {"东门", "西门"}  # the vehicle entrance is not judged
    assert rows["东门"].covered_seconds == 11 * 3600 + 40 * 60 and rows["东门"].covered
    assert rows["西门"].cameras == [] and not rows["西门"].covered
    assert [c.entrance_id for c in uncovered_entrances([p1.pk], DAY)] == [west.pk]
    # An open interval counts up to now; today's window ends now.
    CameraOnlineInterval.objects.filter(camera=two).update(ended_at=None)
    assert {c.name: c.covered for c in entrance_coverage([p1.pk], DAY, now=at(10))} == {
        "东门": True,
        "西门": False,
    }
    camera_retire(actor=actor, camera=one)
    assert east.cameras.filter(status=Camera.Status.ACTIVE).count() == 1
