"""花名册导入 in the browser (R3, issue 11 item 7): the project template link follows the project chosen,
with no reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_issue11_project_template_link_follows_the_chosen_project(
    live_world, login, shot, live_server
):
    p1 = live_world.projects["p1"]
    page = login("gc_labor")
    page.goto(f"{live_server.url}/roster/import/")
    link = page.get_by_test_id("project-template")
    expect(link).to_be_visible()
    expect(link).to_have_class("btn btn-sm btn-outline-primary disabled")
    expect(page.get_by_test_id("project-template-hint")).to_be_visible()
    page.locator("#roster-project").select_option(str(p1.pk))
    expect(link).to_have_attribute("href", f"/api/v1/roster/template.xlsx?project_id={p1.pk}")
    expect(link).not_to_have_class("disabled")
    expect(page.get_by_test_id("project-template-hint")).to_be_hidden()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"花名册导入模板_{p1.code}.xlsx"
    shot(page, "roster-import")
