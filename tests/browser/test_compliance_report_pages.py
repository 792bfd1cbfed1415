"""The monthly compliance report and the builder in the browser (issue 13 items 7–8): a town's approver opens
考核月报 from the menu and picks October; the city reads the whole city and its dashboard section; the builder
sees its projects on its home page and confirms a planned start. Screenshots go to docs/guide (city.md,
authority.md, builder.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.compliance.models import Deduction
from smz.registry.models import PlannedStartDeclaration
from smz.testing.compliance_reports import appealed, judged

pytestmark = pytest.mark.browser


def _october(world) -> None:
    """October 2026 on 小榄 p1 and 古镇 p2: confirmed, proposed and dismissed deductions, one appeal won and
    one upheld, one day not counted."""
    won = judged(world, day=dt.date(2026, 10, 5))
    for day in (6, 12, 13):
        judged(world, day=dt.date(2026, 10, day))
    judged(world, day=dt.date(2026, 10, 14), state=Deduction.State.PROPOSED)
    judged(world, day=dt.date(2026, 10, 15), state=Deduction.State.DISMISSED)
    upheld = judged(
        world,
        day=dt.date(2026, 10, 8),
        rule="C-LB-UNREG",
        subject="worker:1",
        enterprise="sub",
        points="1",
    )
    judged(world, day=dt.date(2026, 10, 9), rule="C-ATT-SNAPSHOT", subject="pass:1", points="1")
    judged(world, day=dt.date(2026, 10, 20), counted=False, state=None)
    judged(
        world,
        project="p2",
        day=dt.date(2026, 10, 9),
        rule="C-DEV-OFFSITE",
        subject="device:1",
        enterprise="neighbour",
        points="11",
    )
    appealed(world, won, won=True)
    appealed(world, upheld, won=False)


def test_town_reads_its_monthly_report(live_world, login, shot, live_server):
    _october(live_world)
    page = login("town_l1")
    page.get_by_role("link", name="考核月报").click()
    page.wait_for_load_state("networkidle")
    pickers = page.get_by_test_id("report-pickers")
    pickers.get_by_label("月份").fill("2026-10")
    pickers.get_by_role("button", name="查看").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("report-title")).to_contain_text("小榄镇·2026年10月")
    expect(page.get_by_test_id("violations")).to_contain_text("9（8）")
    expect(
        page.get_by_test_id("report-rules").locator("tr", has_text="C-KP-ABSENT")
    ).to_contain_text("6")
    expect(
        page.get_by_test_id("report-appeals").locator("tr", has_text="撤销扣分")
    ).to_contain_text("1")
    expect(page.locator("option", has_text="全市")).to_have_count(0)
    expect(page.get_by_test_id("report-excel")).to_have_attribute(
        "href",
        f"/compliance/reports/excel/?month=2026-10&jurisdiction={live_world.projects['p1'].jurisdiction_id}",
    )
    shot(page, "compliance-report-town")
    with page.expect_download() as download:
        page.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_city_reads_the_city_report_and_its_dashboard(live_world, login, shot, live_server):
    _october(live_world)
    today = timezone.localdate()
    judged(live_world, day=today.replace(day=1), subject="post:P03")
    judged(live_world, day=today.replace(day=1), state=Deduction.State.PROPOSED)
    page = login("city_admin")
    section = page.get_by_test_id("dashboard-compliance")
    expect(section).to_contain_text("实名制考核")
    expect(page.get_by_test_id("compliance-violations")).to_have_text("2")
    expect(page.get_by_test_id("compliance-pending")).to_have_text("1")
    section.scroll_into_view_if_needed()
    shot(page, "home-compliance-city")
    page.goto(f"{live_server.url}/compliance/reports/?month=2026-10")
    expect(page.get_by_test_id("report-title")).to_contain_text("中山市（全市）·2026年10月")
    towns = page.get_by_test_id("report-towns")
    expect(towns.locator("tr", has_text="古镇")).to_contain_text("11")
    expect(towns.locator("tr", has_text="小榄")).to_contain_text("8")
    shot(page, "compliance-report-city")


def test_builder_sees_its_projects_and_confirms_the_start(live_world, login, shot, live_server):
    page = login("builder")
    rows = page.get_by_test_id("builder-rows")
    for project in live_world.projects.values():
        expect(rows).to_contain_text(project.name)
    expect(page.get_by_role("link", name="人员", exact=True)).to_have_count(0)
    shot(page, "home-builder")
    p1 = live_world.projects["p1"]
    rows.locator("tr", has_text=p1.name).get_by_role("link", name="拟开工日期申报").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_test_id("declare-form")
    expect(form.get_by_label("拟开工日期")).to_have_value("2024-02-01")
    form.get_by_label("说明").fill("按施工许可及场地移交情况确认")
    form.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("start-declaration")).to_contain_text("申报拟开工日期 2024-02-01")
    assert PlannedStartDeclaration.objects.filter(project=p1).count() == 1
    page.get_by_test_id("start-declaration").scroll_into_view_if_needed()
    shot(page, "builder-project")
    page.goto(f"{live_server.url}/projects/{p1.pk}/planned-start/")
    expect(page.get_by_test_id("declarations")).to_contain_text("按施工许可及场地移交情况确认")
    shot(page, "builder-planned-start")
