"""`seed_video` (issue 16 demo data): entrances and cameras with the city's ids on the first demo sites, an NVR
with two channels, SIP passwords, a week of online intervals with one half-day outage and one bare entrance
(the V1 findings of the demo), the sample platform; a second run does nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import ensure_reference_data
from smz.core.timeutil import business_date
from smz.devices.models import Entrance
from smz.registry import demo
from smz.video.gbid import gb_id_parse
from smz.video.management.commands.seed_video import BARE_ENTRANCE, VEHICLE_ENTRANCE
from smz.video.models import Camera, CameraOnlineInterval, ProjectVideo, VideoPlatform
from smz.video.selectors import uncovered_entrances


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_seed_video_builds_the_demo_sites_once(db):
    ensure_reference_data()
    demo.build_demo_city(workers=30)
    call_command("seed_video", "--if-empty", stdout=(out := io.StringIO()))
    text = out.getvalue()
    assert "SIP注册密码" in text
    cameras = list(Camera.objects.all())
    for c in cameras:
        gb_id_parse(c.gb_id, city_code="442000")
    projects = {c.project_id for c in cameras}
    assert len(projects) == 4
    for password in ProjectVideo.objects.filter(project__in=projects):
        assert password.sip_password in text
    (nvr,) = [c for c in cameras if c.kind == Camera.Kind.NVR]
    assert nvr.channels.count() == 2 and nvr.entrance is None
    assert Entrance.objects.filter(name=VEHICLE_ENTRANCE, project__in=projects).count() == 4
    bare = Entrance.objects.get(name=BARE_ENTRANCE)
    assert not bare.cameras.exists()
    assert all(c.online for c in cameras)
    assert CameraOnlineInterval.objects.filter(ended_at__isnull=True).count() == len(cameras)
    assert VideoPlatform.objects.filter(kind=VideoPlatform.Kind.SAMPLE).exists()
    # V1 today (the suite runs at 20:00): the bare entrance, and the entrance of the camera down 07:00–13:00.
    now = timezone.now()
    found = {c.name for c in uncovered_entrances(projects, business_date(now), now=now)}
    assert BARE_ENTRANCE in found and len(found) == 2
    call_command("seed_video", "--if-empty", stdout=(again := io.StringIO()))
    assert "跳过" in again.getvalue() and Camera.objects.count() == len(cameras)
