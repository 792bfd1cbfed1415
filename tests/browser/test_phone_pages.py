"""Phones and office screens (issue 11 items 2 and 7): the pages a worker, a site's labor specialist and the
window clerk use work at 360–414 px — no sideways page scroll (wide tables scroll in their own box), a compact
header whose ☰ 菜单 unfolds the menu, the name and 退出 — and at 1280 px the office navbar is one line.
Phone screenshots (docs/screenshots/phone-*.png) go into the guides."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from smz.registry import project_changes
from smz.registry.models import KeyPost
from smz.testing.labor import attend, contract, submitted, submitted_october

pytestmark = pytest.mark.browser

PHONE_WIDTHS = [360, 390, 414]
HEADER_MAX_PX = 120  # the folded header: one row, brand and ☰ 菜单
ONE_LINE_NAVBAR_PX = 70


@pytest.fixture
def phone(browser, live_server):
    """A phone's browser context of a given width, logged in through the login form as a persona."""
    contexts = []

    def open_as(persona: str, *, width: int):
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(persona)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        return page

    yield open_as
    for context in contexts:
        context.close()


def _page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _fits(page, width: int, url: str, when: str) -> None:
    """No sideways page scroll: the page is no wider than the phone (a phone's browser would zoom out to a
    wider page, so innerWidth alone could grow with it)."""
    scroll, inner = _page_width(page)
    assert scroll <= inner <= width, (
        f"{url} scrolls sideways at {width} px {when}: {scroll} > {inner}"
    )
    # every table scrolls inside its own box, never squeezed to a character a line nor pushing the page
    bare = page.evaluate(
        "[...document.querySelectorAll('main table')].filter(t => !t.closest('.table-responsive')).length"
    )
    assert bare == 0, f"{url}: {bare} table(s) outside .table-responsive"


def _check_phone_page(page, url: str, *, width: int, name: str) -> None:
    """The page fits the phone: no sideways scroll, a short header, and ☰ 菜单 opens the menu with 退出."""
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.wait_for_load_state("networkidle")
    _fits(page, width, url, "")
    header = page.locator("nav.smz-navbar").bounding_box()
    assert header["height"] < HEADER_MAX_PX, (
        f"{url}: header {header['height']} px tall at {width} px"
    )
    menu = page.locator("#smz-menu")
    expect(menu).to_be_hidden()
    expect(page.get_by_role("button", name="退出")).to_be_hidden()
    page.get_by_test_id("menu-toggle").click()
    expect(menu).to_be_visible()
    for link in menu.locator(".navbar-nav .nav-link").all():
        expect(link).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    # the name reads on one line, not one character a line
    name_box = page.locator(".smz-whoami-name").bounding_box()
    assert name_box["height"] < 30, f"{url}: the name wraps ({name_box})"
    _fits(page, width, url, "with the menu open")
    page.get_by_test_id("menu-toggle").click()
    expect(menu).to_be_hidden()
    if name:
        page.screenshot(path=str(_shot_path(f"phone-{name}")), full_page=True)


def _shot_path(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_worker_pages_fit_a_phone(width, live_world, live_server, phone):
    me = live_world.workers["sub"]
    submitted_october(live_world)  # a month's wages, his attendance and his contract on his pages
    page = phone("worker", width=width)
    base = live_server.url
    shots = width == 390
    pages = [
        (f"{base}/workers/{me.pk}/", "worker-home"),
        (f"{base}/me/wages/", "worker-wages"),
        (f"{base}{reverse('attendance:passes', args=[me.pk])}", "worker-passes"),
        (f"{base}/me/complaints/", "worker-complaints"),
        (f"{base}/me/profile/", "worker-profile"),
        (f"{base}{reverse('approvals:notifications')}", "worker-notifications"),
        (f"{base}{reverse('portal:guide_doc', args=['guide', 'worker'])}", ""),  # 帮助
    ]
    for url, name in pages:
        _check_phone_page(page, url, width=width, name=name if shots else "")
    # the menu open, as a worker sees it
    page.goto(f"{base}/me/wages/")
    page.get_by_test_id("menu-toggle").click()
    expect(page.locator("#smz-menu").get_by_role("link", name="我的资料")).to_be_visible()
    if shots:
        page.screenshot(path=str(_shot_path("phone-worker-menu")))


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_labor_specialist_pages_fit_a_phone(width, live_world, live_server, phone):
    w = live_world
    p1 = w.projects["p1"]
    attend(w, "gc", 20)
    contract(w, "gc", rate="300", actor="gc_labor")
    payroll = submitted(w, "gc_labor", "gc")
    page = phone("gc_labor", width=width)
    base = live_server.url
    shots = width == 390
    pages = [
        (f"{base}/", "labor-home"),
        (f"{base}/projects/{p1.pk}/", "labor-project"),
        (f"{base}/projects/{p1.pk}/labor/", "labor-hub"),
        (f"{base}{reverse('labor:payroll', args=[payroll.pk])}", "labor-payroll"),
        (f"{base}/labor/employments/{w.employments['gc'].pk}/entry/", "labor-entry"),
        (
            f"{base}{reverse('labor:contract_new', args=[w.employments['gc'].pk])}",
            "labor-contract-new",
        ),
        (f"{base}{reverse('labor:exit', args=[w.employments['gc'].pk])}", "labor-exit"),
        (f"{base}/projects/{p1.pk}/attendance/", "labor-attendance"),
        (f"{base}/workers/", "labor-workers"),
        (f"{base}/workers/{w.workers['gc'].pk}/", "labor-worker"),
        (f"{base}/roster/import/", "labor-roster-import"),
    ]
    for url, name in pages:
        _check_phone_page(page, url, width=width, name=name if shots else "")


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_window_clerk_enrollment_fits_a_phone(width, live_world, live_server, phone):
    w = live_world
    post = KeyPost.objects.get(project=w.projects["p1"], post="P03")
    project_changes.key_post_change_record(
        actor=w.user("town_l1"),
        key_post=post,
        new_worker=w.workers["gc"],
        permit_ref="中建许变〔2026〕8号",
        permit_approved_on=timezone.localdate(),
        source="authority",
    )
    page = phone("window_clerk", width=width)
    base = live_server.url
    shots = width == 390
    _check_phone_page(
        page,
        f"{base}{reverse('approvals:enroll_list')}",
        width=width,
        name="window-enroll-list" if shots else "",
    )
    _check_phone_page(
        page,
        f"{base}{reverse('approvals:enroll', args=[w.workers['gc'].pk])}",
        width=width,
        name="window-enroll" if shots else "",
    )


@pytest.mark.parametrize("persona", ["city_admin", "gc_admin", "gc_labor"])
@pytest.mark.parametrize("width", [1200, 1280, 1366])
def test_office_navbar_is_one_line(persona, width, live_world, browser, live_server):
    """Issue 11 item 7: the role with the most menu items keeps the navbar on one line at 1280 px."""
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(persona)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        nav = page.locator("nav.smz-navbar")
        assert nav.bounding_box()["height"] < ONE_LINE_NAVBAR_PX
        expect(page.get_by_test_id("menu-toggle")).to_be_hidden()
        links = nav.locator(".navbar-nav .nav-link")
        tops = {round(link.bounding_box()["y"]) for link in links.all()}
        assert len(tops) == 1, f"menu on {len(tops)} lines"
        for link in links.all():
            expect(link).to_be_visible()
        scroll, inner = _page_width(page)
        assert scroll <= inner
        # the name opens the user's menu: role, organisation and 退出
        expect(page.get_by_role("button", name="退出")).to_be_hidden()
        page.get_by_test_id("user-menu-toggle").click()
        expect(page.get_by_test_id("whoami")).to_be_visible()
        expect(page.get_by_test_id("whoami")).to_contain_text(live_world.user(persona).role_label)
        expect(page.get_by_role("button", name="退出")).to_be_visible()
        if width == 1280 and persona == "city_admin":
            page.screenshot(path=str(_shot_path("navbar-1280-city_admin")))
        page.get_by_role("button", name="退出").click()
        page.wait_for_load_state("networkidle")
        assert "/login/" in page.url
    finally:
        context.close()
