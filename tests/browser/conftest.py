"""Browser fixtures: headless Debian Chromium driven by Playwright against pytest-django's live server.

Chromium is launched by path (Playwright never downloads a browser here: `make browser-deps`).
Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls from a thread
with a running loop; the tests only touch the ORM while the browser is idle, so the guard is lifted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from conftest import PASSWORD, World

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class SerializedWSGIServer(ThreadedWSGIServer):
    """The live server's request threads share the test's in-memory SQLite connection (pytest-django passes
    it to every thread), and one sqlite3 connection used by two threads at once fails ("bad parameter or
    other API misuse"): a page and the PDF in its iframe arrive together. So the application runs one
    request at a time, body included; connections stay threaded, so keep-alive cannot starve anyone."""

    def set_app(self, application):
        lock = threading.Lock()

        def serialized(environ, start_response):
            with lock:
                result = application(environ, start_response)
                try:
                    return list(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()

        super().set_app(serialized)


LiveServerThread.server_class = SerializedWSGIServer

CHROMIUM = Path(os.environ.get("SMZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # Chromium's own UI text (file pickers, date fields, validation bubbles) in Chinese, like the pages
    # around it: --lang and LANGUAGE=zh_CN (at launch) with Debian's chromium-l10n (make browser-deps);
    # without it Chromium falls back to English. LANG stays as it is: the machine may have no zh_CN locale,
    # and file paths with Chinese names must still be readable.
    "--lang=zh-CN",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 800}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (make browser-deps)"
        # .ci/run sets SMZ_REQUIRE_BROWSER: in CI a missing browser is a failure, not a skip
        if os.environ.get("SMZ_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "LANGUAGE": "zh_CN"},
        )
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser context per test: no cookies or session carried between personas."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def live_world(transactional_db, world: World) -> World:
    """The conftest world, committed so the live server's thread sees it.

    Requesting `transactional_db` makes pytest-django run `db` (and so `world`) as a transactional test:
    nothing is wrapped in an atomic block, the rows are committed, and the tables are flushed afterwards."""
    assert not connection.in_atomic_block, "world must be committed for the live server to see it"
    return world


@pytest.fixture(autouse=True)
def cookies_without_dates(settings):
    """Session and CSRF cookies without expiry dates: the server's clock may be moved (`on_day`) while the
    browser keeps the real time, and a cookie dated by the one must not look expired to the other."""
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None


@pytest.fixture
def shot():
    """Save a full-page screenshot as docs/screenshots/<name>.png."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def login(page, live_server):
    """Log in through the real login form as a persona; returns the page on the landing page."""

    def do(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        return page

    return do
