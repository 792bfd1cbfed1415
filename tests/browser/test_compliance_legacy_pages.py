"""The old integrity system in the browser (issue 13 item 3): the city administrator opens 原诚信管理系统项目 from
the rules page, flags 小榄甲住宅项目 with the day it joined the old system and uploads its records as CSV; the
screenshot goes to docs/guide/city.md and docs/compliance/legacy-import.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smz.compliance.models import LegacyIntegrityRecord
from smz.compliance.services import rule_table_load

pytestmark = pytest.mark.browser


def test_city_admin_flags_a_project_and_imports_its_records(
    live_world, login, shot, live_server, tmp_path
):
    rule_table_load()
    gc, sub = live_world.enterprises["gc"].corp_code, live_world.enterprises["sub"].corp_code
    csv_file = tmp_path / "原系统扣分记录.csv"
    csv_file.write_text(
        "扣分日期,统一社会信用代码,扣分事项,扣分分值,来源编号,备注\n"
        f"2019-08-12,{gc},项目经理未按规定到岗,2,YX-2019-0001,\n"
        f"2019-09-03,{sub},未按规定建立劳务人员花名册,1.5,YX-2019-0002,原系统截图存档\n",
        encoding="utf-8-sig",
    )
    page = login("city_admin")
    page.goto(f"{live_server.url}/compliance/rules/")
    page.get_by_role("link", name="登记与导入原系统记录").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("原诚信管理系统项目")
    page.get_by_label("项目编码").fill(live_world.projects["p1"].code)
    page.get_by_role("button", name="打开项目").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("小榄甲住宅项目")

    flag = page.get_by_test_id("legacy-flag-form")
    flag.get_by_label("原系统考勤起始日期").fill("2019-06-01")
    flag.get_by_label("说明").fill("原诚信管理系统项目编号 ZS-2019-0815")
    flag.get_by_role("button", name="登记").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("legacy-flag")).to_be_visible()

    form = page.get_by_test_id("legacy-import-form")
    form.locator("input[type=file]").set_input_files(str(csv_file))
    form.get_by_role("button", name="导入").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text(
        "已导入2条记录（新增2条，更新0条）"
    )
    records = page.get_by_test_id("legacy-records")
    expect(records.locator("tbody tr")).to_have_count(2)
    expect(records).to_contain_text("YX-2019-0002")
    assert LegacyIntegrityRecord.objects.count() == 2
    shot(page, "compliance-legacy")
