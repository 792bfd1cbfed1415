"""Deductions, appeals and enterprise credit in the browser (issue 13 items 4–6, 9): 小榄's level-1 approver
reviews the proposed deductions in a batch, the level-2 approver confirms them from the evidence, 甲建设's labor
specialist appeals one with a scan, the level-1 approver reverses it and the grade follows. The screenshots go to
docs/guide/workflows-approver.md and docs/guide/enterprise.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.compliance.models import Deduction, DeductionReversal
from smz.compliance.services.review import deductions_propose
from smz.testing.approvals import PDF
from smz.testing.compliance import violation

pytestmark = pytest.mark.browser


def _as(page, login, name: str):
    """Switch persona in the same browser context."""
    page.context.clear_cookies()
    return login(name)


def test_review_confirm_appeal_reverse_and_grade(live_world, login, shot, live_server, tmp_path):
    day = timezone.localdate() - dt.timedelta(days=2)
    absent = violation(
        live_world,
        day=day,
        evidence={"key_post_day": [1], "text": "项目负责人（P03）当日无有效考勤记录"},
    )
    offsite = violation(
        live_world,
        day=day,
        rule="C-DEV-OFFSITE",
        subject="device:GATE-REMOTE",
        evidence={"device": [1], "text": "考勤设备 GATE-REMOTE 定位在项目红线外 2.3 公里"},
    )
    deductions_propose(day, day)

    page = login("town_l1")
    page.get_by_role("link", name="诚信", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("扣分审核")
    table = page.get_by_test_id("deductions")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("关键岗位人员缺勤")
    expect(table).to_contain_text("甲建设集团有限公司")
    for box in table.locator("input[type=checkbox]").all():
        box.check()
    page.get_by_label("意见（不予扣分须填写）").fill("经核查考勤日结，情况属实")
    shot(page, "compliance-review-queue")
    page.get_by_role("button", name="批量：一级审核通过，转二级审定").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("已处理 2 条")
    assert set(Deduction.objects.values_list("state", flat=True)) == {"reviewed"}

    page = _as(page, login, "town_l2")
    page.goto(f"{live_server.url}/compliance/deductions/")
    page.get_by_test_id("deductions").get_by_role("link", name=f"#{offsite.deduction.pk}").click()
    page.wait_for_load_state("networkidle")
    evidence = page.get_by_test_id("evidence")
    expect(evidence).to_contain_text("定位在项目红线外 2.3 公里")
    expect(evidence.get_by_role("link", name="小榄甲住宅项目")).to_be_visible()
    expect(evidence.get_by_role("link", name="#1")).to_have_attribute(
        "href", f"/projects/{live_world.projects['p1'].pk}/devices/"
    )
    expect(page.get_by_test_id("review")).to_contain_text("经核查考勤日结，情况属实")
    page.get_by_role("button", name="确认扣分").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("已确认")
    expect(page.get_by_test_id("review")).to_contain_text("申诉截止")
    shot(page, "compliance-deduction-evidence")
    page.goto(f"{live_server.url}/compliance/deductions/")
    page.get_by_test_id("deductions").locator("input[type=checkbox]").first.check()
    page.get_by_role("button", name="批量：确认扣分").click()
    page.wait_for_load_state("networkidle")
    assert set(Deduction.objects.values_list("state", flat=True)) == {"confirmed"}

    page = _as(page, login, "gc_labor")
    page.goto(f"{live_server.url}/compliance/credit/{live_world.enterprises['gc'].pk}/")
    expect(page.get_by_test_id("grade")).to_have_text("B 良")
    expect(page.get_by_test_id("score")).to_contain_text("88")
    page.goto(f"{live_server.url}/compliance/deductions/{offsite.deduction.pk}/")
    page.get_by_role("link", name="提出申诉").click()
    page.wait_for_load_state("networkidle")
    scan = tmp_path / "设备定位说明.pdf"
    scan.write_bytes(PDF)
    form = page.get_by_test_id("appeal-form")
    form.get_by_label("申诉理由（必填）").fill(
        "GATE-REMOTE 为项目部备用闸机，当日未启用；定位偏差系设备首次上电未校准，附设备台账和现场照片。"
    )
    form.get_by_label("证明材料（可多选）").set_input_files(str(scan))
    shot(page, "compliance-appeal-form")
    form.get_by_role("button", name="提交申诉").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("待处理")
    expect(page.get_by_role("link", name="设备定位说明.pdf")).to_be_visible()

    page = _as(page, login, "town_l1")
    page.goto(f"{live_server.url}/compliance/appeals/")
    page.get_by_test_id("appeals").locator("a").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("处理意见（必填）").fill("经核对设备台账，该设备当日未投入使用，申诉成立")
    page.get_by_role("button", name="申诉成立，撤销扣分").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("decision")).to_contain_text("申诉成立")
    assert DeductionReversal.objects.filter(deduction=offsite.deduction).exists()
    shot(page, "compliance-appeal-decided")

    page = _as(page, login, "gc_labor")
    page.get_by_role("link", name="诚信", exact=True).click()
    page.get_by_role("link", name="企业信用等级").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("credit-list").locator("tr", has_text="甲建设")).to_contain_text("A")
    page.get_by_role("link", name="甲建设集团有限公司").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("grade")).to_have_text("A 优")
    expect(page.get_by_test_id("score")).to_contain_text("99")
    expect(page.get_by_test_id("items")).to_contain_text(f"#{absent.deduction.pk}")
    expect(page.get_by_test_id("history")).to_contain_text("撤销扣分")
    shot(page, "compliance-credit")
