"""HTTP error answers (400/403/404/500) in Chinese: a page for people, the JSON envelope for machines.

Django calls these (config/urls.py handler400…handler500) when DEBUG is off, which is the default even for
`make run`: a traceback page must never reach a browser, let alone a device.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


class PortalErrorCode(StrEnum):
    """The HTTP error answers for machines (`/api/`, `/device/`, `/inbound/`, `/iclock/`): prefix `http.`."""

    BAD_REQUEST = "http.bad_request"
    FORBIDDEN = "http.forbidden"
    NOT_FOUND = "http.not_found"
    SERVER_ERROR = "http.server_error"


# Device protocols, docking and the API answer in the one error envelope, never in HTML.
MACHINE_PREFIXES = ("/api/", "/device/", "/inbound/", "/iclock/")

ANSWERS: dict[int, tuple[str, str, str]] = {
    400: (PortalErrorCode.BAD_REQUEST, "请求有误", "请求的格式不正确，请返回上一页重试。"),
    403: (
        PortalErrorCode.FORBIDDEN,
        "没有权限",
        "您的账号无权查看此页面。如需访问，请联系本单位管理员。",
    ),
    404: (
        PortalErrorCode.NOT_FOUND,
        "页面不存在",
        "您要找的页面不存在，或您无权查看。请检查地址或从首页进入。",
    ),
    500: (
        PortalErrorCode.SERVER_ERROR,
        "服务器出错",
        "服务器暂时无法处理请求，已记录此错误。请稍后再试。",
    ),
}


def _answer(request: HttpRequest, status: int) -> HttpResponse:
    code, title, text = ANSWERS[status]
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse({"code": code, "message": title, "detail": {}}, status=status)
    # Rendered without the request: no context processor (database, session) can fail a 500 page.
    html = render_to_string(
        "portal/http_error.html", {"status": status, "title": title, "text": text}
    )
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _answer(request, 400)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _answer(request, 403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500)
