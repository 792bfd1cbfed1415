"""The device lane (issue 17 goal 2, N5): signed device requests (/device/, 附件7) skip the browser's middleware.

A gate's upload has no session, no user, no language to negotiate, no CSRF cookie, no static file and no login to
lock out; running those ten middleware for it cost ≈ 0.15 ms of a check-in's ≈ 1.7 ms of application CPU. Its
requests go through a second Django WSGI handler whose middleware is settings.MIDDLEWARE without DEVICE_SKIPS,
in the same order: it keeps the proxy and scheme, the security headers and HTTPS redirect, the body limits, the
no-personal-numbers-in-URLs rule with no-store, CSP and frame headers, the domain error envelope and the replica
marks. Everything else (pages, /api/, ZKTeco's /iclock/) goes through Django's handler as before.
`config/wsgi.py` serves `lanes(get_wsgi_application())` (tested in smz/core/tests/test_lanes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

DEVICE_PREFIX = "/device/"
DEVICE_SKIPS = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "smz.accounts.middleware.TwoFactorMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def device_middleware() -> list[str]:
    return [m for m in settings.MIDDLEWARE if m not in DEVICE_SKIPS]


class _LaneHandler(WSGIHandler):
    """Django's WSGI handler with its own middleware list (BaseHandler.load_middleware reads the setting)."""

    def __init__(self, middleware: list[str]) -> None:
        self._lane_middleware = middleware
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        everyone = settings.MIDDLEWARE
        settings.MIDDLEWARE = self._lane_middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = everyone


def lanes(application: WSGIApp) -> WSGIApp:
    """The WSGI application: device requests through the device lane, the rest through `application`."""
    device = _LaneHandler(device_middleware())

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(DEVICE_PREFIX):
            return device(environ, start_response)
        return application(environ, start_response)

    return dispatch
