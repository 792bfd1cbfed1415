"""The `/api/v1/` surface: one NinjaAPI, token or session auth, one error envelope for every 4xx."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from smz.accounts.errors import AccountsErrorCode
from smz.accounts.models import ApiToken
from smz.core.api_errors import envelope as api_envelope
from smz.core.api_errors import install_envelope
from smz.core.errors import CoreErrorCode, DomainError
from smz.portal.apidocs import LocalSwagger


class TokenAuth(HttpBearer):
    """Authorization: Bearer <token> for machine clients (docking platforms, scripts)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(
                key_hash=ApiToken.hash(token),
                revoked_at__isnull=True,
                expires_at__gt=now,
                user__is_active=True,
            )
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row.user


class CookieSessionAuth(SessionAuth):
    """The portal's session, CSRF-checked only when a session cookie is sent: a machine client whose bearer
    token has expired gets 401 `unauthenticated`, not a 403 CSRF failure about a cookie it never had."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.COOKIES.get(self.param_name):
            return None
        try:
            return super()._get_key(request)
        except HttpError as exc:  # ninja's own CSRF refusal, in English: answer in the envelope
            raise DomainError(
                AccountsErrorCode.CSRF_FAILED,
                "请求缺少有效的 CSRF 令牌：用会话调用接口时请带上 X-CSRFToken 请求头，机器对接请用令牌",
                status=403,
            ) from exc


def docs_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The docs page and its OpenAPI JSON are for signed-in users (page: to login; JSON: a 401 envelope)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated or (
            request.path.endswith("/openapi.json") and TokenAuth()(request) is not None
        ):
            return view(request, *args, **kwargs)
        if request.path.endswith("/openapi.json"):
            return envelope(request, 401, CoreErrorCode.UNAUTHENTICATED, "未登录或令牌无效")
        return redirect_to_login(request.get_full_path())

    return wrapper


api = NinjaAPI(
    title="smz 建筑工人实名制管理平台 API",
    version="1.0.0",
    description="Registry, roster and (later) attendance, labor and approval interfaces. "
    "Errors: one envelope `{code, message, detail}` (message in Chinese) for every 4xx, declared per "
    "operation; 422 carries `detail.fields` (field → reason). See docs/interfaces/api.md.",
    auth=[TokenAuth(), CookieSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    docs_decorator=docs_login_required,
)


install_envelope(api, validation_message="提交的数据格式有误")


def envelope(
    request: HttpRequest, status: int, code: str, message: str, detail: Any = None
) -> HttpResponse:
    return api_envelope(api, request, status, code, message, detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return envelope(request, 401, CoreErrorCode.UNAUTHENTICATED, "未登录或令牌无效")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return envelope(request, 403, CoreErrorCode.FORBIDDEN, "无权执行此操作")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return envelope(request, 404, CoreErrorCode.NOT_FOUND, "对象不存在或无权访问")


@csrf_exempt  # it only ever answers 404: a POST with a session cookie must not meet Django's CSRF page
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other /api/v1/ URL (an id that is not a number, a typo): the envelope, not Django's HTML page."""
    return envelope(request, 404, CoreErrorCode.NOT_FOUND, "接口不存在")


# Path ids use the int converter ({int:...}), so /employments/export.xlsx cannot be taken for an id.
api.add_router("/", "smz.registry.api.router")
api.add_router("/", "smz.registry.api_excel.router")
api.add_router("/", "smz.accounts.api.router")
api.add_router("/", "smz.docking.api.router")
