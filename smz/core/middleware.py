"""Pages: turn DomainError raised by selectors/services into the right HTTP response; refuse oversized bodies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from smz.core.errors import DomainError

# Machine surfaces answer with the JSON error envelope, never an HTML page.
JSON_PREFIXES = ("/api/", "/device/", "/iclock/")


class DomainErrorMiddleware:
    def __init__(self, get_response):
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
OWN_LIMIT_PREFIXES = ("/device/", "/iclock/")


class RequestSizeLimitMiddleware:
    """Refuse an oversized body by its declared length before anything reads it (413, issue 10 item 9).

    A multipart upload may be up to SMZ_MAX_UPLOAD_REQUEST_BYTES (Django streams its files to disk past
    FILE_UPLOAD_MAX_MEMORY_SIZE); any other body (JSON, a form, a device batch) is read into memory
    and may be up to DATA_UPLOAD_MAX_MEMORY_SIZE. The API and the device protocols get the JSON
    envelope; pages get the error page in Chinese.
    """

    def __init__(self, get_response):
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
            "request.too_large",
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
