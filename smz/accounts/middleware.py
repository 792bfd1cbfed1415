"""Refuse every page and session API call of an account that still owes its second factor (两步验证)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from smz.accounts import twofactor
from smz.accounts.errors import AccountsErrorCode
from smz.accounts.models import TotpDevice

# The second-factor pages themselves, logging out, and static files stay open.
OPEN_PREFIXES = ("/2fa/", "/logout/", "/static/", "/login/")
SESSION_FREE = "smz_2fa_free"


class TwoFactorMiddleware:
    """After AuthenticationMiddleware: a password-only session of a 2FA account reaches nothing else.

    Token-authenticated API calls carry no session user here and are not affected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OPEN_PREFIXES) or not request.user.is_authenticated:
            return self.get_response(request)
        user, session = request.user, request.session
        if (
            twofactor.is_verified(session=session, user=user)
            or session.get(SESSION_FREE) == user.pk
        ):
            return self.get_response(request)
        if not twofactor.needs_second_factor(user):
            session[SESSION_FREE] = user.pk
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": AccountsErrorCode.SECOND_FACTOR_REQUIRED,
                    "message": "请先完成两步验证",
                    "detail": {"verify_url": reverse("accounts:twofactor_verify")},
                },
                status=403,
            )
        enrolled = TotpDevice.objects.filter(user=user.pk).exists()
        target = reverse("accounts:twofactor_verify" if enrolled else "accounts:twofactor_setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
