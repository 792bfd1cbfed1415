"""Inbound pages in the browser (WF5, R2): the city administrator docks the quality center's system, sees its
secret once, and sends a signed quality notice for a project from the sandbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smz.approvals.models import InboundSystem
from smz.registry.models import Project

pytestmark = pytest.mark.browser


def test_city_admin_docks_the_quality_center_and_sends_a_notice(
    live_world, login, shot, live_server
):
    p1 = live_world.projects["p1"]
    page = login("city_admin")
    page.goto(f"{live_server.url}/city/inbound/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("市级系统对接")
    page.locator("select[name=kind]").select_option("quality")
    page.locator("input[name=code]").fill("ZS-QUALITY")
    page.locator("input[name=name]").fill("市建设工程质量事务中心系统")
    page.locator("input[name=docked_on]").fill("2026-01-05")
    page.get_by_role("button", name="登记").click()
    page.wait_for_load_state("networkidle")
    system = InboundSystem.objects.get(code="ZS-QUALITY")
    expect(page.get_by_test_id("secret")).to_contain_text(system.secret)
    expect(page.get_by_test_id("inbound-systems")).to_contain_text("ZS-QUALITY")

    page.get_by_role("link", name="接口沙箱").click()
    page.wait_for_load_state("networkidle")
    page.locator("select[name=system]").select_option(str(system.pk))
    page.locator("select[name=endpoint]").select_option("quality-notices")
    page.locator("select[name=project]").select_option(p1.code)
    page.get_by_role("button", name="载入示例").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("textarea[name=body]")).to_contain_text(p1.code)
    expect(page.locator("textarea[name=body]")).to_contain_text("notice_no")
    page.get_by_role("button", name="签名并发送").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("response-status")).to_have_text("HTTP 200")
    expect(page.get_by_test_id("request-headers")).to_contain_text("X-Smz-Signature")
    expect(page.get_by_test_id("response-body")).to_contain_text("pm_attendance_stop_on")
    expect(page.locator("main")).not_to_contain_text(system.secret)
    assert Project.objects.get(pk=p1.pk).pm_attendance_stop_on is not None
    shot(page, "inbound-sandbox")

    page.goto(f"{live_server.url}/city/inbound/")
    expect(page.get_by_test_id("inbound-messages")).to_contain_text("质量监督任务完成告知书")
    expect(page.locator("main")).not_to_contain_text(system.secret)
    shot(page, "inbound-systems")
    # The interface spec is a link to the portal's rendered page, not a repository path.
    page.get_by_test_id("inbound-spec").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/guide/interfaces/inbound/")
    expect(page.locator("main")).to_contain_text("/inbound/v1/")
