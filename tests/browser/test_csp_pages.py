"""Issue 10 item 10 / issue 11 item 3 in a real browser: pages work under the strict CSP with no violation."""

from __future__ import annotations

import pytest


@pytest.fixture
def violations(page):
    """CSP violations, uncaught script errors and failed page resources (the favicon is not a page's)."""
    seen: list[str] = []

    def console(msg) -> None:
        if msg.type == "error" and (
            "Content Security Policy" in msg.text or "Exception" in msg.text
        ):
            seen.append(msg.text)

    page.on("console", console)
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return seen


def test_issue11_item3_api_docs_render_offline_under_the_csp(
    live_world, login, live_server, violations
):
    page = login("gc_labor")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "smz" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    assert all(url.startswith(live_server.url) for url in requested), "nothing from a CDN"
    assert violations == []


def test_issue10_item10_portal_pages_run_their_scripts_under_the_csp(
    live_world, login, live_server, violations
):
    page = login("gc_labor")
    p1 = live_world.projects["p1"].pk
    for path in ["/", "/projects/", "/workers/", f"/projects/{p1}/requests/new/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # data-reload-param replaces the inline onchange of the approval kind select
    select = page.locator("select#kind")
    values = select.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    select.select_option(values[-1])
    page.wait_for_url(f"**kind={values[-1]}")
    assert violations == []


def test_issue10_item10_city_admin_binds_an_authenticator_after_the_password(
    live_world, login, live_server, violations, settings, shot
):
    from smz.accounts import twofactor

    settings.SMZ_REQUIRE_2FA = True
    page = login("city_admin")
    assert "/2fa/setup/" in page.url
    page.get_by_test_id("totp-qr").wait_for()
    shot(page, "twofactor-setup")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6位动态码").fill(
        twofactor.totp(secret=secret, step=twofactor.current_step())
    )
    page.get_by_role("button", name="完成绑定").click()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/"
    # Signed in, past the second factor: the home page with the user's menu (the name opens it).
    page.get_by_test_id("user-menu-toggle").click()
    assert page.get_by_test_id("whoami").is_visible()
    assert violations == []


def test_issue10_item10_data_confirm_asks_before_rotating_a_token(
    live_world, login, live_server, violations
):
    page = login("gc_labor")
    page.goto(f"{live_server.url}/account/tokens/")
    page.get_by_placeholder("用途，如 劳务对接").fill("劳务对接")
    page.get_by_role("button", name="签发令牌").click()
    first = page.get_by_test_id("issued-token").inner_text()
    # Dismissed: nothing happens. Accepted: a successor is shown and the list says 已轮换.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="轮换").click()
    page.wait_for_timeout(300)
    assert page.get_by_test_id("issued-token").inner_text() == first
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="轮换").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("issued-token").inner_text() != first
    assert "已轮换" in page.get_by_test_id("tokens").inner_text()
    assert violations == []
