"""Pages: turn DomainError raised by selectors/services into the right HTTP response; refuse oversized
bodies; keep personal numbers out of URLs and caches."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from smz.core.errors import CoreErrorCode, DomainError

type GetResponse = Callable[[HttpRequest], HttpResponse]

# Machine surfaces answer with the JSON error envelope, never an HTML page.
JSON_PREFIXES = ("/api/", "/device/", "/iclock/")


class DomainErrorMiddleware:
    """A DomainError raised under a page becomes the error page with its status (the API has its own handler)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        html = render_to_string("portal/error.html", {"error": exception}, request=request)
        return HttpResponse(html, status=exception.status)


# The device protocols check the declared length themselves, before reading, and answer in their own
# protocol (device-direct: 413 device.body_too_large in the envelope; ZKTeco: a plain-text ERROR line).
OWN_LIMIT_PREFIXES = ("/device/", "/iclock/", "/docking/")


class RequestSizeLimitMiddleware:
    """Refuse an oversized body by its declared length before anything reads it (413, issue 10 item 9).

    A multipart upload may be up to SMZ_MAX_UPLOAD_REQUEST_BYTES (Django streams its files to disk past
    FILE_UPLOAD_MAX_MEMORY_SIZE); any other body (JSON, a form, a device batch) is read into memory
    and may be up to DATA_UPLOAD_MAX_MEMORY_SIZE. The API and the device protocols get the JSON
    envelope; pages get the error page in Chinese.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OWN_LIMIT_PREFIXES):
            return self.get_response(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = (
            settings.SMZ_MAX_UPLOAD_REQUEST_BYTES
            if multipart
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and declared > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        error = DomainError(
            CoreErrorCode.REQUEST_TOO_LARGE,
            f"提交的内容超过 {limit // (1024 * 1024)} MB 上限，请压缩或分批上传",
            {"max_bytes": limit},
            status=413,
        )
        if request.path.startswith(JSON_PREFIXES):
            response: HttpResponse = JsonResponse(error.as_dict(), status=413)
        else:
            html = render_to_string("portal/error.html", {"error": error}, request=request)
            response = HttpResponse(html, status=413)
        # The unread body is left on the connection: ask the client to open a new one.
        response["Connection"] = "close"
        return response


# Query parameters that would put a personal number into a URL, and so into access logs, browser history
# and Referer headers (N2, issue 10 item 6). Searches by these numbers are POSTed instead.
PERSONAL_QUERY_KEYS = frozenset({"id_number", "phone", "bank_card"})


class PersonalDataMiddleware:
    """No personal number in a URL (400 `pii.id_in_url`), and no dynamic response in any cache: every
    response that passes here gets `Cache-Control: private, no-store` and `Pragma: no-cache` unless the view
    set its own Cache-Control. Static files never reach it (WhiteNoise answers them earlier)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        keys = sorted(PERSONAL_QUERY_KEYS.intersection(request.GET))
        response = self._refuse(request, keys) if keys else self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        response["Pragma"] = "no-cache"
        return response

    @staticmethod
    def _refuse(request: HttpRequest, keys: list[str]) -> HttpResponse:
        error = DomainError(
            CoreErrorCode.PII_ID_IN_URL,
            "证件号码、手机号码、银行卡号不能放在网址中，请通过页面查询表单（POST）或 POST /api/v1/workers/search 查询",
            {"params": keys},
            status=400,
        )
        if request.path.startswith(("/api/", "/device/")):  # machines get JSON
            return JsonResponse(error.as_dict(), status=error.status)
        html = render_to_string("portal/error.html", {"error": error}, request=request)
        return HttpResponse(html, status=error.status)
