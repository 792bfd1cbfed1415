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
