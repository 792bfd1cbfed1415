"""Device pages in the browser (D1, D5): a labor specialist registers a gate and sees its secret once;
the town authority sees an off-site device flagged on the city-wide list."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.devices.models import Device
from smz.devices.services import device_register, site_boundary_set

pytestmark = pytest.mark.browser


def test_d1_register_device_and_see_health(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{p1.pk}/devices/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("考勤设备")
    page.locator("input[name=serial]").fill("FG-DEMO-01")
    page.locator("select[name=kind]").select_option("face_gate")
    page.locator("select[name=protocol]").select_option("direct_v1")
    page.locator("input[name=entrance]").fill("东门")
    page.locator("select[name=direction]").select_option("in")
    page.locator("input[name=lng]").fill("113.305")
    page.locator("input[name=lat]").fill("22.605")
    page.get_by_role("button", name="登记").click()
    page.wait_for_load_state("networkidle")
    device = Device.objects.get(serial="FG-DEMO-01")
    expect(page.get_by_test_id("secret")).to_contain_text(device.secret)
    expect(page.get_by_test_id("devices")).to_contain_text("FG-DEMO-01")
    expect(page.get_by_test_id("devices")).to_contain_text("离线")
    shot(page, "devices-project")
    page.reload()
    expect(page.locator("main")).not_to_contain_text(device.secret)


def test_d5_authority_sees_off_site_device(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    labor = live_world.user("gc_labor")
    site_boundary_set(
        actor=labor,
        project=p1,
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    device_register(
        actor=labor,
        project=p1,
        serial="GATE-ONSITE",
        kind="face_gate",
        protocol="direct_v1",
        entrance="东门",
        lng=113.305,
        lat=22.605,
    )
    device_register(
        actor=labor,
        project=p1,
        serial="GATE-REMOTE",
        kind="face_gate",
        protocol="zkteco_push",
        entrance="办公室",
        lng=113.52,
        lat=22.80,
    )
    # One gate heartbeat a moment ago with a good clock; the terminal's clock is 7 minutes behind.
    Device.objects.filter(serial="GATE-ONSITE").update(
        last_heartbeat_at=timezone.now(), clock_offset_ms=1_200
    )
    Device.objects.filter(serial="GATE-REMOTE").update(clock_offset_ms=-425_000)
    page = login("town_l1")
    page.get_by_role("link", name="设备").click()
    page.wait_for_load_state("networkidle")
    table = page.get_by_test_id("devices")
    expect(table.locator("tbody tr")).to_have_count(2)
    good = table.locator("tr", has_text="GATE-ONSITE")
    expect(good).to_contain_text("在线")
    expect(good.get_by_test_id("clock")).to_have_text("+1.2 秒")
    expect(good.get_by_test_id("clock")).to_have_attribute("title", re.compile("^1200 毫秒"))
    bad = table.locator("tr", has_text="GATE-REMOTE").get_by_test_id("clock")
    expect(bad).to_have_text("−7 分 5 秒")
    expect(bad).to_have_class(re.compile("text-danger"))
    expect(table.locator("tr", has_text="GATE-REMOTE").get_by_test_id("off-site")).to_have_count(1)
    expect(table.locator("tr", has_text="GATE-ONSITE").get_by_test_id("off-site")).to_have_count(0)
    shot(page, "devices-city")
    page.context.clear_cookies()
    page = login("neighbour_town")
    page.goto(f"{live_server.url}/devices/")
    expect(page.locator("main")).not_to_contain_text("GATE-REMOTE")
