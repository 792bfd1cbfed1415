"""Pages: turn DomainError raised by selectors/services into the right HTTP response."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from smz.core.errors import DomainError


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


# Query parameters that would put a personal number into a URL, and so into access logs, browser history
# and Referer headers (N2, issue 10 item 6). Searches by these numbers are POSTed instead.
PERSONAL_QUERY_KEYS = frozenset({"id_number", "phone", "bank_card"})


class PersonalDataMiddleware:
    """No personal number in a URL (400 `pii.id_in_url`), and no dynamic response in any cache: every
    response that passes here gets `Cache-Control: private, no-store` and `Pragma: no-cache` unless the view
    set its own Cache-Control. Static files never reach it (WhiteNoise answers them earlier)."""

    def __init__(self, get_response):
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
            "pii.id_in_url",
            "证件号码、手机号码、银行卡号不能放在网址中，请通过页面查询表单（POST）或 POST /api/v1/workers/search 查询",
            {"params": keys},
            status=400,
        )
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=error.status)
        html = render_to_string("portal/error.html", {"error": error}, request=request)
        return HttpResponse(html, status=error.status)
