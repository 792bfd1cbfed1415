"""Video pages (V1, V2, issue 16 items 2 and 6): the site's video page, an entrance's day, a camera's week, the
city-wide camera list and the uncovered entrances; every page scoped (neighbours 404, workers nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smz.core.timeutil import CITY_TZ, business_date
from smz.devices.models import Entrance
from smz.testing.video import entrance_with_camera, gb, platform_camera, video_platform
from smz.video.models import Camera, CameraOnlineInterval, ProjectVideo, SipRefusal
from smz.video.services.cameras import camera_register
from smz.video.services.status import cameras_seen

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(world):
    """P1 with 东门 (a camera, online since 06:00 today) and 北门 (no camera), a vehicle gate; P2 a neighbour's."""
    p1, gc = world.projects["p1"], world.user("gc_labor")
    east, camera = entrance_with_camera(gc, p1, name="东门", serial=1)
    north = Entrance.objects.create(project=p1, name="北门")
    Entrance.objects.create(project=p1, name="车辆门", kind=Entrance.Kind.VEHICLE)
    morning = dt.datetime.combine(business_date(timezone.now()), dt.time(6), tzinfo=CITY_TZ)
    cameras_seen([camera.pk], morning)
    _, other = entrance_with_camera(world.user("neighbour_labor"), world.projects["p2"], serial=9)
    return {"p1": p1, "east": east, "north": north, "camera": camera, "other": other}


def test_v1_site_video_page_shows_entrances_cameras_and_coverage(site, as_user):
    html = as_user("gc_labor").get(f"/projects/{site['p1'].pk}/video/").content.decode()
    assert "东门" in html and "北门" in html and "车辆门" in html
    assert site["camera"].gb_id not in html or "东门摄像机" in html
    assert 'data-testid="covered"' in html  # 东门 online since 06:00
    assert (
        html.count('data-testid="uncovered"') == 1
    )  # 北门: no camera; the vehicle gate is not judged
    assert 'data-testid="entrance-form"' in html and 'data-testid="camera-form"' in html
    assert "44200000002000000001" in html  # the SIP server's id for the installer


def test_v1_site_staff_add_entrance_register_assign_and_retire(site, as_user):
    p1 = site["p1"]
    c = as_user("gc_labor")
    r = c.post(f"/projects/{p1.pk}/video/entrances/", {"name": "西门", "kind": "personnel"})
    assert r.status_code == 302
    west = Entrance.objects.get(project=p1, name="西门")
    r = c.post(
        f"/projects/{p1.pk}/video/cameras/",
        {"gb_id": gb("132", 5), "name": "西门枪机", "entrance": west.pk, "maker": "海康威视"},
    )
    assert r.status_code == 302
    cam = Camera.objects.get(gb_id=gb("132", 5))
    assert (cam.entrance, cam.maker) == (west, "海康威视")
    # A wrong id is refused with its reason, nothing stored.
    r = c.post(f"/projects/{p1.pk}/video/cameras/", {"gb_id": "44010000001327000001", "name": "x"})
    follow = c.get(r["Location"]).content.decode()
    assert "本市行政区划代码" in follow
    # An NVR and its channel.
    c.post(f"/projects/{p1.pk}/video/cameras/", {"gb_id": gb("118", 6), "name": "录像机"})
    nvr = Camera.objects.get(gb_id=gb("118", 6))
    c.post(
        f"/projects/{p1.pk}/video/cameras/",
        {"gb_id": gb("131", 7), "name": "通道1", "nvr": nvr.pk, "entrance": site["north"].pk},
    )
    assert Camera.objects.get(gb_id=gb("131", 7)).nvr == nvr
    r = c.post(f"/video/cameras/{cam.pk}/assign/", {"entrance": site["north"].pk})
    assert r.status_code == 302
    cam.refresh_from_db()
    assert cam.entrance == site["north"]
    c.post(f"/video/cameras/{cam.pk}/retire/")
    cam.refresh_from_db()
    assert cam.status == "retired"
    c.post(f"/video/entrances/{west.pk}/close/")
    west.refresh_from_db()
    assert west.status == "closed"


def test_v2_sip_password_is_shown_once(site, as_user):
    p1 = site["p1"]
    c = as_user("gc_labor")
    r = c.post(f"/projects/{p1.pk}/video/sip-password/", {"password": ""})
    password = ProjectVideo.objects.get(project=p1).sip_password
    assert r.status_code == 200 and password in r.content.decode()
    assert password not in c.get(f"/projects/{p1.pk}/video/").content.decode()
    r = c.post(f"/projects/{p1.pk}/video/sip-password/", {"password": "short"})
    assert ProjectVideo.objects.get(project=p1).sip_password == password


def test_v1_entrance_page_shows_the_day_timeline(site, as_user):
    html = as_user("town_l1").get(f"/video/entrances/{site['east'].pk}/").content.decode()
    assert 'data-testid="timeline"' in html and 'data-testid="online-segment"' in html
    assert 'data-testid="covered"' in html
    html = as_user("town_l1").get(f"/video/entrances/{site['north'].pk}/").content.decode()
    assert 'data-testid="no-camera"' in html
    yesterday = business_date(timezone.now()) - dt.timedelta(days=1)
    html = (
        as_user("town_l1")
        .get(f"/video/entrances/{site['east'].pk}/?day={yesterday}")
        .content.decode()
    )
    assert 'data-testid="online-segment"' not in html and "无摄像机" not in html
    # A malformed or future day is today's.
    assert as_user("town_l1").get(f"/video/entrances/{site['east'].pk}/?day=x").status_code == 200


def test_v1_camera_page_shows_week_refusals_and_channels(site, world, as_user):
    cam = site["camera"]
    SipRefusal.objects.create(
        gb_id=cam.gb_id, address="10.0.0.9:5060", code="video.sip_bad_password"
    )
    html = as_user("gc_pm").get(f"/video/cameras/{cam.pk}/").content.decode()
    assert "video.sip_bad_password" in html and "10.0.0.9:5060" in html
    assert html.count('data-testid="timeline"') == 7
    assert "至今在线" in html
    nvr = camera_register(
        actor=world.user("gc_labor"), project=site["p1"], gb_id=gb("118", 20), name="录像机"
    )
    camera_register(
        actor=world.user("gc_labor"),
        project=site["p1"],
        gb_id=gb("131", 21),
        name="通道A",
        nvr=nvr,
        entrance=site["north"],
    )
    html = as_user("gc_pm").get(f"/video/cameras/{nvr.pk}/").content.decode()
    assert 'data-testid="channels"' in html and "通道A" in html


def test_v1_camera_list_filters_and_counts(site, as_user):
    c = as_user("city_admin")
    html = c.get("/video/cameras/").content.decode()
    assert site["camera"].gb_id in html and site["other"].gb_id in html
    assert "共 <strong>2</strong> 个" in html
    html = c.get("/video/cameras/?online=0").content.decode()
    assert site["camera"].gb_id not in html and site["other"].gb_id in html
    p1 = site["p1"]
    html = c.get(f"/video/cameras/?jurisdiction={p1.jurisdiction.code}").content.decode()
    assert site["camera"].gb_id in html and site["other"].gb_id not in html
    html = c.get("/video/cameras/?kind=118").content.decode()
    assert "共 <strong>0</strong> 个" in html
    html = c.get("/video/cameras/?unassigned=1").content.decode()
    assert site["camera"].gb_id not in html


def test_v1_uncovered_list_for_authorities(site, as_user):
    html = as_user("town_l1").get("/video/uncovered/").content.decode()
    assert "北门" in html and ">东门<" not in html and "车辆门" not in html
    # The neighbour town sees its own site only: P2's 东门 camera never came online.
    html = as_user("neighbour_town").get("/video/uncovered/").content.decode()
    assert "北门" not in html and "古镇戊厂房项目" in html
    day = business_date(timezone.now()) - dt.timedelta(days=1)
    html = as_user("city_admin").get(f"/video/uncovered/?day={day}").content.decode()
    assert "北门" not in html  # recorded today: not judged for yesterday
    Entrance.objects.update(created_at=timezone.now() - dt.timedelta(days=3))
    html = as_user("city_admin").get(f"/video/uncovered/?day={day}").content.decode()
    assert "北门" in html  # on record, all day long no camera at all


def test_v1_neighbours_workers_and_anonymous_get_nothing(site, client, as_user):
    p1, cam, east = site["p1"], site["camera"], site["east"]
    pages = [
        f"/projects/{p1.pk}/video/",
        f"/video/entrances/{east.pk}/",
        f"/video/cameras/{cam.pk}/",
    ]
    for name in ("neighbour_labor", "neighbour_town", "worker"):
        c = as_user(name)
        for url in pages:
            assert c.get(url).status_code == 404, (name, url)
        assert c.post(f"/video/cameras/{cam.pk}/retire/").status_code == 404
        assert c.post(f"/video/entrances/{east.pk}/close/").status_code == 404
        assert c.post(f"/projects/{p1.pk}/video/entrances/", {"name": "X门"}).status_code == 404
        listing = c.get("/video/cameras/")
        assert cam.gb_id not in listing.content.decode()
        assert "北门" not in c.get("/video/uncovered/").content.decode()
    assert as_user("worker").get("/video/cameras/").status_code == 404
    # A subcontractor and the town read, but may not change.
    for name in ("sub_labor", "town_l1"):
        c = as_user(name)
        assert c.get(f"/projects/{p1.pk}/video/").status_code == 200
        assert c.post(f"/video/cameras/{cam.pk}/retire/").status_code == 403
        assert c.post(f"/projects/{p1.pk}/video/entrances/", {"name": "X门"}).status_code == 403
        assert c.post(f"/projects/{p1.pk}/video/sip-password/").status_code == 403
    cam.refresh_from_db()
    assert cam.status == "active" and not Entrance.objects.filter(name="X门").exists()
    client.logout()
    for url in [*pages, "/video/cameras/", "/video/uncovered/"]:
        assert client.get(url).status_code == 302


def test_v1_interval_reasons_are_words(site, as_user):
    cam = site["camera"]
    CameraOnlineInterval.objects.filter(camera=cam).update(
        ended_at=timezone.now(), end_reason="keepalive_timeout"
    )
    html = as_user("gc_labor").get(f"/video/cameras/{cam.pk}/").content.decode()
    assert "保活超时" in html


def test_v1_project_page_and_dashboards_show_uncovered_entrances(site, as_user):
    p1 = site["p1"]
    html = as_user("gc_labor").get(f"/projects/{p1.pk}/").content.decode()
    assert 'data-testid="video-state"' in html
    assert 'data-testid="video-uncovered">1<' in html  # 北门
    assert (
        'data-testid="video-state"'
        not in as_user("worker").get(f"/projects/{p1.pk}/").content.decode()
    )
    city = as_user("city_admin").get("/").content.decode()
    assert 'data-testid="video-dashboard"' in city
    assert (
        'data-testid="video-uncovered">2<' in city
    )  # 北门, and the neighbour's camera never online
    town = as_user("town_l1").get("/").content.decode()
    assert 'data-testid="video-uncovered">1<' in town
    # 设备 in the menu leads to both registries.
    devices = as_user("city_admin").get("/devices/").content.decode()
    assert 'href="/video/cameras/"' in devices


def test_v2_entrance_page_plays_its_platform_camera_today(site, world, as_user):
    platform = video_platform(kind="sample")
    cam = platform_camera(world.user("gc_labor"), site["p1"], platform, serial=30, name="北门")
    html = as_user("gc_labor").get(f"/video/entrances/{site['north'].pk}/").content.decode()
    assert 'data-testid="video-player"' in html and f"/video/cameras/{cam.pk}/live/stream/" in html
    yesterday = business_date(timezone.now()) - dt.timedelta(days=1)
    html = (
        as_user("gc_labor")
        .get(f"/video/entrances/{site['north'].pk}/?day={yesterday}")
        .content.decode()
    )
    assert 'data-testid="video-player"' not in html
    # A SIP camera has no stream through smz: no player, but the live page's link.
    html = as_user("gc_labor").get(f"/video/entrances/{site['east'].pk}/").content.decode()
    assert 'data-testid="video-player"' not in html and 'data-testid="live-link"' in html
