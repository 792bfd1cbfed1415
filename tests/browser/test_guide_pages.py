"""操作指南 in a real browser (issue 11 item 8): 帮助 opens the role's guide with its screenshots loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_help_opens_the_labor_specialists_guide_with_pictures(live_world, login, live_server):
    page = login("gc_labor")
    page.get_by_test_id("help-link").click()
    page.wait_for_load_state("networkidle")
    article = page.get_by_test_id("guide")
    expect(article.locator("h1")).to_contain_text("劳资专管员")
    images = article.locator("img")
    expect(images.first).to_be_visible()
    # Every screenshot in the guide loads (they load lazily: scroll each into view; width 0 = broken).
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('article img')].every(i => i.complete)"
    )
    widths = images.evaluate_all("els => els.map(e => e.naturalWidth)")
    assert len(widths) >= 5 and all(w > 0 for w in widths), widths
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.get_by_test_id("guide-pdf")).to_have_attribute(
        "href", "/guide/guide/wages-labor-specialist.pdf"
    )
    # The whole guide is ~10,000 px tall: the guide shows the reader what the top of the page looks like.
    page.screenshot(path=str(SCREENSHOTS / "guide-labor-specialist.png"), full_page=False)


@pytest.mark.parametrize(
    ("persona", "title"), [("sup_manager", "总监理工程师"), ("gc_pm", "项目经理")]
)
def test_help_opens_the_supervision_and_project_manager_guides(
    live_world, login, live_server, persona, title
):
    page = login(persona)
    page.get_by_test_id("help-link").click()
    page.wait_for_load_state("networkidle")
    article = page.get_by_test_id("guide")
    expect(article.locator("h1")).to_contain_text(title)
    images = article.locator("img")
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('article img')].every(i => i.complete)"
    )
    widths = images.evaluate_all("els => els.map(e => e.naturalWidth)")
    assert len(widths) >= 3 and all(w > 0 for w in widths), widths


def test_guide_index_lists_the_roles_guide_first(live_world, login, shot, live_server):
    page = login("town_l1")
    page.goto(f"{live_server.url}/guide/")
    items = page.get_by_test_id("guide-list").locator(".list-group-item")
    expect(items.first).to_contain_text("我的角色")
    expect(items.first).to_contain_text("审批")
    shot(page, "guide-index")
