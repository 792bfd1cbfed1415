"""数据上报 in the browser (issue 14 item 5): the city administrator adds the provincial platform for 小榄甲住宅项目
(the secret typed once, never shown back); a push against the fake upstream leaves records done and some refused
with the upstream's own text; the failures list shows them and 重新上报 puts one back in the queue (htmx).
Screenshots: docs/screenshots/docking-upward.png (the targets) and docking-upward-failures.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.docking.fake_upstream import FakeUpstream
from smz.docking.models import UpstreamTarget, UpstreamUpload
from smz.docking.services import upward

pytestmark = pytest.mark.browser

SECRET = "0123456789abcdefABCDEF0123456789"
APPID = "44000020261205001"


def test_city_admin_configures_a_target_and_retries_a_failure(live_world, login, shot, live_server):
    page = login("city_admin")
    page.goto(f"{live_server.url}/city/upward/")
    expect(page.get_by_role("heading", level=1)).to_have_text("数据上报")
    add = page.get_by_test_id("upward-add")
    add.get_by_label("平台名称").fill("广东省建筑工人管理服务信息平台")
    add.get_by_label("接口地址").fill("https://upstream.example.gov.cn/api/gateway")
    add.get_by_label("AppID").fill(APPID)
    add.get_by_label("AppSecret").fill(SECRET)
    add.get_by_label("项目编码（留空表示全市在管项目）").fill(live_world.projects["p1"].code)
    add.get_by_label("启用").check()
    add.get_by_role("button", name="添加").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("广东省建筑工人管理服务信息平台")
    assert SECRET not in page.content()

    # The push (the background job) against the fake upstream: participants and teams go up, then the upstream
    # forgets its team numbers, so the workers come back refused with the national text.
    target = UpstreamTarget.objects.get()
    clock = [timezone.now() - dt.timedelta(minutes=30)]
    fake = FakeUpstream(APPID, SECRET, now=lambda: clock[0])
    upward.upstream_enqueue(target=target)
    for n in range(12):
        if n == 4:
            fake._team_projects.clear()
        upward.upstream_push(target=target, transport=fake.transport, now=clock[0])
        clock[0] += dt.timedelta(minutes=1)
    failed = UpstreamUpload.objects.filter(target=target, state="failed")
    assert failed.count() == 3

    page.goto(f"{live_server.url}/city/upward/")
    row = page.get_by_test_id("upward-targets").locator("tbody tr").first
    expect(row.get_by_test_id("count-done")).to_have_text("6")
    expect(row.get_by_test_id("count-failed")).to_have_text("3")
    shot(page, "docking-upward")

    page.get_by_role("link", name="广东省建筑工人管理服务信息平台").click()
    page.wait_for_load_state("networkidle")
    failures = page.get_by_test_id("upward-failures")
    expect(failures.locator("tbody tr")).to_have_count(3)
    expect(failures).to_contain_text("[teamSysNo]值超出范围或无效")
    expect(failures).to_contain_text("人员未编入班组")
    shot(page, "docking-upward-failures")
    first = failures.locator("tbody tr").filter(has_text="值超出范围或无效").first
    first.get_by_test_id("retry").click()
    expect(failures).to_contain_text("已重新加入上报队列")
    assert UpstreamUpload.objects.filter(target=target, state="failed").count() == 2
