"""Video pages in the browser (V1, V2, issue 16): the GC's site staff add an entrance, register a camera and set
the SIP password on the site's video page; an entrance's day as a timeline; the city's camera list and the
uncovered entrances for the town."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.core.timeutil import CITY_TZ, business_date
from smz.devices.models import Entrance
from smz.testing.video import entrance_with_camera, gb
from smz.video.models import Camera, CameraOnlineInterval, ProjectVideo, SipRefusal
from smz.video.services.cameras import camera_register

pytestmark = pytest.mark.browser


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(business_date(timezone.now()), dt.time(hour, minute), tzinfo=CITY_TZ)


def _site(world) -> dict:
    """p1: 东门 (an IPC down 11:00–11:50: uncovered), 西门 (two NVR channels, online all day), 北门 (no camera),
    a vehicle gate; p2 (古镇): the neighbour's camera."""
    p1, gc = world.projects["p1"], world.user("gc_labor")
    east, ipc = entrance_with_camera(gc, p1, name="东门", serial=1)
    west = Entrance.objects.create(project=p1, name="西门", position="生活区一侧")
    north = Entrance.objects.create(project=p1, name="北门", position="材料堆场旁")
    Entrance.objects.create(project=p1, name="车辆出入口", kind=Entrance.Kind.VEHICLE)
    nvr = camera_register(
        actor=gc, project=p1, gb_id=gb("118", 2), name="项目部录像机", maker="海康威视"
    )
    channels = [
        camera_register(
            actor=gc,
            project=p1,
            gb_id=gb("131", 2 + k),
            name=f"西门通道{k}",
            nvr=nvr,
            entrance=west,
        )
        for k in (1, 2)
    ]
    rows = [
        CameraOnlineInterval(camera=ipc, started_at=_at(6), ended_at=_at(11)),
        CameraOnlineInterval(camera=ipc, started_at=_at(11, 50)),
    ]
    for cam in [nvr, *channels]:
        rows.append(CameraOnlineInterval(camera=cam, started_at=_at(6, 30)))
    CameraOnlineInterval.objects.bulk_create(rows)
    Camera.objects.filter(pk__in=[ipc.pk, nvr.pk, *(c.pk for c in channels)]).update(
        online=True, last_keepalive_at=timezone.now()
    )
    SipRefusal.objects.create(
        gb_id=ipc.gb_id,
        address="10.20.0.31:5060",
        code="video.sip_bad_password",
        detail="摘要认证失败",
    )
    _, other = entrance_with_camera(
        world.user("neighbour_labor"), world.projects["p2"], name="古镇东门", serial=50
    )
    return {"p1": p1, "east": east, "north": north, "ipc": ipc, "nvr": nvr, "other": other}


def test_v1_site_staff_manage_entrances_and_cameras(live_world, login, shot, live_server):
    s = _site(live_world)
    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{s['p1'].pk}/")
    expect(page.get_by_test_id("video-state")).to_contain_text("今日未覆盖的人员出入口")
    page.get_by_role("link", name="查看出入口与视频监控点").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("出入口与视频监控")
    form = page.get_by_test_id("entrance-form")
    form.get_by_label("名称").fill("南门")
    form.get_by_label("位置说明").fill("南侧围挡，近施工电梯")
    form.get_by_role("button", name="添加").click()
    expect(page.get_by_test_id("entrances")).to_contain_text("南门")
    cam = page.get_by_test_id("camera-form")
    cam.get_by_label("国标编码（20位）").fill(gb("132", 9))
    cam.get_by_label("名称").fill("南门枪机")
    cam.get_by_label("出入口").select_option(label="南门")
    cam.get_by_label("厂商").fill("大华")
    cam.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("cameras")).to_contain_text(gb("132", 9))
    # The SIP password: generated, shown once beside the server's parameters.
    page.get_by_role("button", name="设置SIP注册密码").click()
    password = ProjectVideo.objects.get(project=s["p1"]).sip_password
    expect(page.get_by_test_id("sip-password")).to_contain_text(password)
    expect(page.get_by_test_id("sip-settings")).to_contain_text("44200000002000000001")
    row = page.get_by_test_id("entrances").locator("tr", has_text="北门")
    expect(row).to_contain_text("无摄像机")
    expect(page.get_by_test_id("entrances").locator("tr", has_text="西门")).to_contain_text(
        "已覆盖"
    )
    shot(page, "video-project")
    page.reload()
    expect(page.locator("main")).not_to_contain_text(password)


def test_v1_entrance_day_timeline(live_world, login, shot, live_server):
    s = _site(live_world)
    page = login("town_l1")
    page.goto(f"{live_server.url}/video/entrances/{s['east'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("东门")
    expect(page.get_by_test_id("uncovered")).to_contain_text("缺")
    expect(page.get_by_test_id("online-segment")).to_have_count(2)
    shot(page, "video-entrance")
    page.get_by_role("link", name=s["ipc"].name).click()
    expect(page.get_by_test_id("refusals")).to_contain_text("video.sip_bad_password")
    expect(page.get_by_test_id("week").get_by_test_id("timeline")).to_have_count(7)


def test_v1_city_camera_list_filters(live_world, login, shot, live_server):
    s = _site(live_world)
    page = login("city_admin")
    page.get_by_role("link", name="设备").click()
    page.get_by_test_id("equipment-tabs").get_by_role("link", name="视频监控点").click()
    expect(page.get_by_test_id("camera-counts")).to_contain_text("共 5 个")
    expect(page.get_by_test_id("camera-list")).to_contain_text(s["other"].gb_id)
    page.get_by_label("在线").select_option("0")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("camera-list").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("camera-list")).to_contain_text("古镇东门")
    page.get_by_label("在线").select_option("")
    page.get_by_role("button", name="查询").click()
    shot(page, "video-cameras")


def test_v1_town_sees_uncovered_entrances(live_world, login, shot, live_server):
    _site(live_world)
    page = login("town_l1")
    page.goto(f"{live_server.url}/video/uncovered/")
    table = page.get_by_test_id("uncovered")
    expect(table.locator("tbody tr")).to_have_count(2)  # 东门 (50 minutes down), 北门 (no camera)
    expect(table).to_contain_text("北门")
    expect(table).not_to_contain_text("西门")
    expect(table).not_to_contain_text("古镇东门")  # the neighbouring town's site
    shot(page, "video-uncovered")
