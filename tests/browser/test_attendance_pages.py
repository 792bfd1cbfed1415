"""Attendance pages in the browser (A3–A5): project calendar, a person's passes with snapshots, anomaly lists,
today's attendance and key-post status on the project page, the site boundary sketch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.devices.services import device_register, site_boundary_set
from smz.testing.attendance import attend, gate_for
from smz.testing.devices import jpeg

pytestmark = pytest.mark.browser


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


@pytest.fixture
def attended_world(live_world):
    """A week on p1: the GC's worker every weekday, the project manager (key post P01) today, one pass
    with no face; the GC's worker also on p3 today (a double shift)."""
    w = live_world
    gate = gate_for(w, "p1", "GATE-P1-E")
    for back in range(7):
        day = today() - dt.timedelta(days=back)
        if (
            day.weekday() < 6 or back == 0
        ):  # today always, so the double shift exists on a Sunday too
            attend(gate, w.workers["gc"], day)
    attend(gate, w.workers["pm"], today())
    attend(gate, w.workers["sub"], today(), snapshot=jpeg(face=False))
    w.employ("p3", "gc")
    attend(gate_for(w, "p3", "GATE-P3-E"), w.workers["gc"], today(), tag="p3-")
    return w


def test_a3_project_page_shows_today_and_key_posts(attended_world, login, shot, live_server):
    page = login("town_l1")
    page.goto(f"{live_server.url}/projects/{attended_world.projects['p1'].pk}/")
    today = page.get_by_test_id("today")
    expect(today).to_contain_text("今日出勤人数")
    posts = page.get_by_test_id("key-posts")
    expect(posts).to_contain_text("测试项目经理")
    expect(posts).to_contain_text("到岗")
    expect(posts).to_contain_text("空缺")
    shot(page, "project-detail-today")


def test_a3_calendar_people_by_days(attended_world, login, shot, live_server):
    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{attended_world.projects['p1'].pk}/attendance/")
    cal = page.get_by_test_id("calendar")
    expect(cal).to_contain_text("测试甲工")
    expect(cal).to_contain_text("测试乙工")
    expect(cal.locator(".att-yes").first).to_be_visible()
    expect(cal.locator(".att-bad").first).to_be_visible()  # the no-face day
    expect(page.get_by_test_id("export")).to_be_visible()
    shot(page, "attendance-calendar")


def test_a5_person_passes_with_snapshots(attended_world, login, shot, live_server):
    page = login("gc_labor")
    page.goto(f"{live_server.url}/workers/{attended_world.workers['sub'].pk}/passes/")
    passes = page.get_by_test_id("passes")
    expect(passes).to_contain_text("抓拍照片中未检测到人脸")
    image = passes.locator("img.att-snap").first
    expect(image).to_be_visible()
    # The image may still be on its way (lazy, and the live server answers one request at a time):
    # wait until it has loaded rather than read its width at once.
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=passes] img.att-snap');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert image.evaluate("img => img.naturalWidth") == 640
    expect(page.get_by_test_id("daily")).to_contain_text("不计出勤")
    shot(page, "attendance-passes")


def test_a4_double_shift_list_for_the_city(attended_world, login, shot, live_server):
    page = login("city_supervisor")
    page.goto(f"{live_server.url}/attendance/anomalies/?tab=double_shift")
    expect(page.get_by_test_id("range")).to_contain_text(
        "共 7 天"
    )  # not today alone (issue 11 item 7)
    table = page.get_by_test_id("anomalies")
    expect(table).to_contain_text("测试甲工")
    expect(table).to_contain_text("石岐甲商业项目")
    shot(page, "attendance-anomalies-double-shift")
    page.get_by_role("link", name="关键岗位未到岗").click()
    expect(page.get_by_test_id("anomalies")).to_contain_text("岗位空缺")
    shot(page, "attendance-anomalies-key-posts")


def test_d5_site_boundary_sketch(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    site_boundary_set(
        actor=live_world.user("gc_labor"),
        project=p1,
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    for serial, lng, lat in [("GATE-ONSITE", 113.305, 22.605), ("GATE-REMOTE", 113.318, 22.596)]:
        device_register(
            actor=live_world.user("gc_labor"),
            project=p1,
            serial=serial,
            kind="face_gate",
            protocol="direct_v1",
            entrance="东门",
            lng=lng,
            lat=lat,
        )
    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{p1.pk}/devices/")
    sketch = page.get_by_test_id("site-map")
    expect(sketch.locator("polygon")).to_have_count(1)
    expect(sketch.locator("circle")).to_have_count(2)
    expect(sketch).to_contain_text("GATE-REMOTE（场外）")
    expect(page.locator("#points")).to_have_value(
        "113.300000,22.600000\n113.310000,22.600000\n113.310000,22.610000\n113.300000,22.610000"
    )
    shot(page, "devices-site-boundary")
