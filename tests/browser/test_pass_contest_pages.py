"""Contesting an invalid pass in the browser (issue 13 item 5): 甲建设's labor specialist opens 测试甲工's passes,
contests one judged invalid (no face on the snapshot) with "申诉此记录"; 小榄's level-1 approver accepts it
from the queue and the day counts. The screenshots go to docs/guide/enterprise.md and docs/guide/authority.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smz.attendance.models import DailyAttendance, PassContest
from smz.testing.attendance import attend, gate_for, today
from smz.testing.devices import jpeg

pytestmark = pytest.mark.browser


def test_contest_an_invalid_pass_and_accept_it(live_world, login, shot, live_server):
    gc = live_world.workers["gc"]
    attend(gate_for(live_world, "p1", "GATE-P1-C"), gc, today(), snapshot=jpeg(face=False))
    assert not DailyAttendance.objects.get(worker=gc, work_date=today()).attended

    page = login("gc_labor")
    page.goto(f"{live_server.url}/workers/{gc.pk}/passes/")
    passes = page.get_by_test_id("passes")
    expect(passes).to_contain_text("抓拍照片中未检测到人脸")
    passes.get_by_test_id("contest").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("申诉理由（必填）").fill(
        "当日本人正常进场，抓拍时佩戴安全帽遮挡，现场监控可证"
    )
    shot(page, "attendance-pass-contest-form")
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("待处理")

    page.context.clear_cookies()
    page = login("town_l1")
    page.goto(f"{live_server.url}/attendance/contests/")
    queue = page.get_by_test_id("contests")
    expect(queue).to_contain_text("测试甲工")
    queue.get_by_role("link", name=f"#{PassContest.objects.get().pk}").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("处理意见（必填）").fill("调阅现场监控，确为本人进场")
    shot(page, "attendance-pass-contest-decide")
    page.get_by_role("button", name="申诉成立，该记录计为有效").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("申诉成立")
    assert DailyAttendance.objects.get(worker=gc, work_date=today()).attended
