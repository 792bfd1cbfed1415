"""实时视频 and 视频平台 in the browser (issue 16 items 4 and 5): the GC's labour specialist opens the live view of
p1's 东门 camera, which comes through the demo's sample platform; the vendored hls.js plays the generated clip
(the video element really advances) labelled 演示样片. The city administrator adds the sample platform and tests
it. Screenshots: docs/screenshots/video-live.png and video-platforms.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smz.testing.video import platform_camera, video_platform
from smz.video.models import VideoPlatform
from smz.video.services.platforms import platform_sync

pytestmark = pytest.mark.browser


def test_live_view_plays_the_sample_stream(live_world, login, shot, live_server):
    platform = video_platform("演示样片", kind="sample")
    camera = platform_camera(
        live_world.user("gc_labor"), live_world.projects["p1"], platform, serial=1, name="东门"
    )
    platform_sync(platform=platform)
    page = login("gc_labor")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/video/cameras/{camera.pk}/live/")
    expect(page.get_by_role("heading", level=1)).to_have_text("实时视频：东门摄像机")
    expect(page.get_by_test_id("camera-entrance")).to_have_text("东门")
    expect(page.get_by_test_id("camera-online")).to_have_text("在线")
    # The clip really plays: enough data for the current frame, and time moving on.
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=live-video]');"
        " return v && v.readyState >= 2 && v.currentTime > 1.5; }",
        timeout=20_000,
    )
    expect(page.get_by_test_id("sample-badge")).to_be_visible()
    expect(page.get_by_test_id("player-status")).to_contain_text("正在播放演示样片")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.evaluate("document.querySelector('[data-testid=live-video]').pause()")
    shot(page, "video-live")


def test_an_offline_camera_says_so_and_a_neighbour_gets_nothing(live_world, login, live_server):
    platform = video_platform("演示样片", kind="sample")
    camera = platform_camera(
        live_world.user("gc_labor"), live_world.projects["p1"], platform, serial=2, name="北门"
    )  # never synced: offline
    page = login("gc_labor")
    page.goto(f"{live_server.url}/video/cameras/{camera.pk}/live/")
    expect(page.get_by_test_id("camera-online")).to_have_text("离线")
    expect(page.get_by_test_id("player-status")).to_have_text("摄像机当前离线，无法播放实时视频")
    expect(page.get_by_test_id("sample-badge")).to_be_hidden()
    page.context.clear_cookies()
    page = login("neighbour_labor")
    response = page.goto(f"{live_server.url}/video/cameras/{camera.pk}/live/")
    assert response is not None and response.status == 404


def test_city_admin_adds_a_platform_and_tests_it(live_world, login, shot, live_server):
    platform = video_platform("演示样片", kind="sample")
    platform_camera(
        live_world.user("gc_labor"), live_world.projects["p1"], platform, serial=3, name="东门"
    )
    platform_sync(platform=platform)
    page = login("city_admin")
    page.goto(f"{live_server.url}/video/platforms/")
    expect(page.get_by_role("heading", level=1)).to_have_text("视频平台")
    add = page.get_by_test_id("platform-add")
    add.get_by_label("平台名称").fill("中山市安全生产视频监控平台")
    add.get_by_label("类型").select_option("wvp")
    add.get_by_label("接口地址").fill("http://127.0.0.1:1")
    add.get_by_label("账号").fill("smz")
    add.get_by_label("密码").fill("Wvp-2026-secret")
    add.get_by_role("button", name="添加").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("中山市安全生产视频监控平台")
    assert "Wvp-2026-secret" not in page.content()
    page.get_by_test_id("platform-test").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert")).to_contain_text("连接失败：无法连接视频平台")
    assert VideoPlatform.objects.count() == 2
    page.goto(f"{live_server.url}/video/platforms/")
    expect(page.get_by_test_id("video-platforms").locator("tbody tr")).to_have_count(2)
    shot(page, "video-platforms")
