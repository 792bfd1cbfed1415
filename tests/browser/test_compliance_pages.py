"""The deduction table (附件6) in the browser (issue 13 items 2–3): the city administrator opens 扣分标准 from
the menu, reads a rule's history and makes a new version with a reason; the screenshots go to docs/guide/city.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smz.compliance.models import DeductionRuleVersion
from smz.compliance.services import rule_table_load

pytestmark = pytest.mark.browser


def test_city_admin_reads_the_rules_and_makes_a_version(live_world, login, shot, live_server):
    rule_table_load()
    page = login("city_admin")
    page.get_by_role("link", name="扣分标准").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("不良行为扣分标准（附件6）")
    rules = page.get_by_test_id("rules")
    expect(rules.locator("tr", has_text="C-KP-ABSENT")).to_contain_text("关键岗位人员缺勤")
    expect(rules.locator("tr", has_text="C-DEV-OFFSITE")).to_contain_text("11")
    expect(rules.locator("tr", has_text="C-CAM-ENTRANCE")).to_contain_text(
        "人员出入口无在线视频监控"
    )
    expect(rules.locator("tr", has_text="C-CAM-ENTRANCE")).not_to_contain_text(
        "暂不启用"
    )  # video is live
    expect(page.get_by_test_id("phases")).to_contain_text("2020-01-31")
    expect(page.get_by_test_id("regimes")).to_contain_text("原诚信管理系统考勤项目")
    shot(page, "compliance-rules")

    rules.get_by_role("link", name="C-KP-ABSENT").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_contain_text("C-KP-ABSENT 关键岗位人员缺勤")
    expect(page.get_by_test_id("current")).to_contain_text("岗位所属企业")
    form = page.get_by_test_id("new-version")
    form.get_by_label("分值").fill("1.5")
    form.get_by_label("变更原因（必填，记入版本历史）").fill(
        "依据市住建局诚信记分标准复核，缺勤每岗每天调整为1.5分"
    )
    form.get_by_role("button", name="保存为新版本").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text(
        "已新建 C-KP-ABSENT 第 2 版"
    )
    versions = page.get_by_test_id("versions")
    expect(versions.locator("tbody tr")).to_have_count(2)
    expect(versions.locator("tbody tr").first).to_contain_text("现行")
    expect(versions.locator("tbody tr").first).to_contain_text("1.5")
    expect(versions.locator("tbody tr").last).to_contain_text("初始载入")
    expect(versions.locator("tbody tr").last).to_contain_text("由第 2 版取代")
    assert DeductionRuleVersion.objects.filter(rule__code="C-KP-ABSENT").count() == 2
    shot(page, "compliance-rule-history")


def test_city_supervisor_reads_without_a_form(live_world, login, shot, live_server):
    rule_table_load()
    page = login("city_supervisor")
    page.goto(f"{live_server.url}/compliance/rules/C-DEV-OFFSITE/")
    expect(page.get_by_test_id("current")).to_contain_text("扣诚信分11分")
    expect(page.get_by_test_id("new-version")).to_have_count(0)
