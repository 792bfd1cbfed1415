"""A worker logs in on his phone (N2): the staff login page links to the phone login, the phone step, the
texted code (read from the test SMS outbox), and his wages page. Screenshots at a phone's viewport."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from smz.accounts.sms import LocmemBackend

pytestmark = pytest.mark.browser

PHONE = "13800001234"  # world.workers["sub"], the "worker" persona
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def outbox(settings):
    # The live server runs in this process: the setting and the class-level outbox are shared with it.
    settings.SMS_BACKEND = "smz.accounts.sms.LocmemBackend"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    LocmemBackend.outbox.clear()
    yield LocmemBackend.outbox
    LocmemBackend.outbox.clear()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        viewport=MOBILE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_worker_logs_in_with_phone_and_code(live_world, live_server, phone_page, outbox, shot):
    # conftest gives every worker the same phone; a shared phone names nobody, so the others get their own
    for n, key in enumerate(["gc", "neighbour", "pm"]):
        worker = live_world.workers[key]
        worker.phone = f"1390000200{n + 1}"
        worker.save(update_fields=["phone"])
    page = phone_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="工人手机号登录").click()
    expect(page).to_have_url(f"{live_server.url}/w/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("工人手机号登录")
    page.get_by_label("手机号码").fill(PHONE)
    # the form fits the phone's width: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    shot(page, "worker-login")

    page.get_by_role("button", name="获取验证码").click()
    expect(page).to_have_url(f"{live_server.url}/w/login/verify/")
    expect(page.locator("main")).to_contain_text("138****1234")
    assert PHONE not in page.url
    assert [to for to, _ in outbox] == [PHONE]
    code = re.search(r"验证码 (\d{6})", outbox[0][1]).group(1)

    page.get_by_label("验证码").fill(code)
    shot(page, "worker-login-code")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/me/wages/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的工资")
    expect(page.get_by_test_id("whoami")).to_contain_text(live_world.user("worker").display_name)


def test_worker_changes_his_phone_with_a_code_to_the_old_number(
    live_world, live_server, phone_page, outbox, shot
):
    """Issue 10 item 1: 我的资料 — new phone, code texted to the OLD number, the change in his record list."""
    for n, key in enumerate(["gc", "neighbour", "pm"]):
        worker = live_world.workers[key]
        worker.phone = f"1390000200{n + 1}"
        worker.save(update_fields=["phone"])
    page = phone_page
    page.goto(f"{live_server.url}/w/login/")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("验证码").fill(re.search(r"验证码 (\d{6})", outbox[-1][1]).group(1))
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/me/wages/")

    # on a phone the menu is folded: ☰ 菜单 opens it (issue 11 item 2)
    page.get_by_test_id("menu-toggle").click()
    page.get_by_role("link", name="我的资料").first.click()
    expect(page).to_have_url(f"{live_server.url}/me/profile/")
    expect(page.get_by_test_id("my-data")).to_contain_text("138****1234")
    page.get_by_label("新手机号码（不改可不填）").fill("13766665555")
    page.get_by_role("button", name="发送验证码到原手机号码").click()
    assert outbox[-1][0] == PHONE, "the code goes to the old number"
    code = re.search(r"验证码 (\d{6})", outbox[-1][1]).group(1)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_test_id("my-data")).to_contain_text("137****5555")
    changes = page.get_by_test_id("my-data-changes")
    expect(changes).to_contain_text("手机号码/工资卡变更")
    expect(changes).to_contain_text("本人")
    expect(page.locator("main")).not_to_contain_text("13766665555")
    shot(page, "worker-my-profile")
