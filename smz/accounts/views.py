"""Account pages: the second factor (两步验证) of the city's and the authorities' accounts, the API tokens, and
account administration (账号管理: list, reset, disable, enable, unlock; routes `portal:accounts` and
`portal:account_action`, listed by smz/portal/urls.py). Staff log in at /login/ (portal); workers by phone and
texted code at /w/login/ (smz/registry/views.py)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from smz.accounts import selectors as account_selectors
from smz.accounts import services as account_services
from smz.accounts import twofactor
from smz.accounts.models import Role
from smz.core import crypto
from smz.core.errors import CoreErrorCode, DomainError

# --- 两步验证 (second factor) for the city's and the authorities' accounts ------------------------

SESSION_PENDING_KEY = "smz_2fa_pending"


def _staff_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


@sensitive_post_parameters("code")
@never_cache
@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code, type its first code, keep the recovery codes."""
    user = request.user
    if user.role == Role.WORKER:
        # Workers log in with a texted code; the authenticator is for staff accounts.
        raise Http404
    enrolled = account_selectors.totp_enrolled(user)
    if enrolled and not twofactor.is_verified(session=request.session, user=user):
        # Re-binding needs the current factor first.
        return redirect(
            f"{reverse('accounts:twofactor_verify')}?{urlencode({'next': request.path})}"
        )
    sealed = request.session.get(SESSION_PENDING_KEY)
    secret = crypto.decrypt(sealed) if sealed else ""
    if not secret or request.method == "GET":
        secret = twofactor.new_secret()
        request.session[SESSION_PENDING_KEY] = crypto.encrypt(secret)
    error, status = "", 200
    if request.method == "POST":
        try:
            codes = twofactor.totp_enrol(
                user=user, secret=secret, code=request.POST.get("code", "")
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            request.session.pop(SESSION_PENDING_KEY, None)
            twofactor.mark_verified(session=request.session, user=user)
            return render(
                request,
                "accounts/twofactor_codes.html",
                {"codes": codes, "next": _staff_next(request)},
            )
    uri = twofactor.provisioning_uri(secret=secret, account=user.username)
    context = {
        "qr": segno.make(uri, error="m").svg_data_uri(scale=5),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "error": error,
        "enrolled": enrolled,
        "next": _staff_next(request),
    }
    return render(request, "accounts/twofactor_setup.html", context, status=status)


@sensitive_post_parameters("code")
@never_cache
@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code from the authenticator app, or a recovery code."""
    user = request.user
    if user.role == Role.WORKER:  # as on setup: workers have no authenticator
        raise Http404
    if not account_selectors.totp_enrolled(user):
        return redirect(
            f"{reverse('accounts:twofactor_setup')}?{urlencode({'next': _staff_next(request)})}"
        )
    error, status = "", 200
    if request.method == "POST":
        try:
            twofactor.second_factor_verify(user=user, code=request.POST.get("code", ""))
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            twofactor.mark_verified(session=request.session, user=user)
            return redirect(_staff_next(request))
    context = {
        "error": error,
        "next": _staff_next(request),
        "recovery_left": twofactor.recovery_codes_left(user=user),
    }
    return render(request, "accounts/twofactor_verify.html", context, status=status)


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """接口令牌: the user's own API tokens; issue, rotate (successor shown once) or revoke."""
    if request.user.role == Role.WORKER:
        raise Http404
    issued = ""
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                name = request.POST.get("name", "").strip()
                if not name or len(name) > 60:
                    raise DomainError(
                        CoreErrorCode.VALIDATION_ERROR, "请填写用途（60字以内）", status=422
                    )
                issued = account_services.api_token_create(
                    actor=request.user, user=request.user, name=name
                )
            elif action in {"rotate", "revoke"} and request.POST.get("token", "").isdigit():
                token = account_selectors.api_token_get_for(
                    request.user, int(request.POST["token"])
                )
                if token.user_id != request.user.pk:
                    raise DomainError(
                        CoreErrorCode.NOT_FOUND, "接口令牌不存在或无权访问", status=404
                    )
                if action == "rotate":
                    issued = account_services.api_token_rotate(actor=request.user, token=token)[1]
                else:
                    account_services.api_token_revoke(actor=request.user, token=token)
            else:
                raise DomainError(CoreErrorCode.VALIDATION_ERROR, "无法识别的操作", status=422)
        except DomainError as exc:
            error, status = exc.message, exc.status
    context = {
        "tokens": account_selectors.api_token_list_for(request.user),
        "issued": issued,
        "error": error,
        "now": timezone.now(),
        "days": settings.SMZ_API_TOKEN_DAYS,
    }
    return render(request, "accounts/tokens.html", context, status=status)


# --- 账号管理 (account administration; routes `portal:accounts`, `portal:account_action`) ------------


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    users = account_selectors.user_list_for(
        request.user, q=request.GET.get("q", "").strip(), role=request.GET.get("role", "")
    )
    if not (
        request.user.is_superuser or request.user.role in {Role.CITY_ADMIN, Role.ENTERPRISE_ADMIN}
    ):
        raise Http404
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    locked = account_selectors.locked_usernames([u.username for u in page])
    return render(
        request,
        "accounts/accounts.html",
        {"page": page, "locked": locked, "roles": Role.choices, "q": request.GET.get("q", "")},
    )


@login_required
@require_POST
def account_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    target = account_selectors.user_get_for(request.user, pk)
    try:
        if action == "reset":
            password = account_services.user_reset_password(actor=request.user, target=target)
            messages.success(
                request, f"已重置 {target.username} 的密码，新密码：{password}（仅显示一次）"
            )
        elif action == "disable":
            account_services.user_set_active(actor=request.user, target=target, active=False)
            messages.success(request, f"已停用 {target.username}")
        elif action == "enable":
            account_services.user_set_active(actor=request.user, target=target, active=True)
            messages.success(request, f"已启用 {target.username}")
        elif action == "unlock":
            account_services.user_unlock(actor=request.user, target=target)
            messages.success(request, f"已解锁 {target.username}")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:accounts")
