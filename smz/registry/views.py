"""Registry pages: the worker's login by mobile number (phone first, then the texted code, N2). The routes keep
their names in the accounts namespace (`accounts:worker_login`, `accounts:worker_verify`, see config/urls.py) and
their templates under accounts/; the codes are smz/registry/worker_codes.py."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from smz.accounts.models import Role
from smz.core import crypto
from smz.core.errors import DomainError
from smz.core.http import client_address
from smz.core.pii import mask_phone
from smz.core.validators import normalize_phone
from smz.registry import worker_codes

# The phone waits in the session between the two steps, encrypted like every stored phone.
SESSION_PHONE = "worker_login_phone"
DEFAULT_NEXT = "/me/wages/"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request: HttpRequest) -> str:
    """Where to go after login: ?next= when it is a local URL, else the worker's wages page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return DEFAULT_NEXT


def _with_next(url: str, request: HttpRequest) -> str:
    target = _next(request)
    if target == DEFAULT_NEXT:
        return url
    return f"{url}?{urlencode({'next': target})}"


def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return None
    if request.user.role == Role.WORKER:
        return redirect(_next(request))
    return redirect("portal:home")


@sensitive_post_parameters("phone")
@never_cache
@csrf_protect
def worker_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the worker's mobile number; a code is texted if it is a worker's (the answer never says)."""
    if response := _signed_in(request):
        return response
    phone = ""
    error = ""
    status = 200
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        try:
            worker_codes.login_code_send(phone=phone, ip=client_address(request))
        except DomainError as exc:
            error = exc.detail.get("fields", {}).get("phone") or exc.message
            status = exc.status
        else:
            request.session[SESSION_PHONE] = crypto.encrypt(normalize_phone(phone))
            return redirect(_with_next(reverse("accounts:worker_verify"), request))
    return render(
        request,
        "accounts/worker_login.html",
        {"phone": phone, "error": error, "next": _next(request)},
        status=status,
    )


@sensitive_post_parameters("code")
@never_cache
@csrf_protect
def worker_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the texted code; a resend button asks for a new one for the same phone."""
    if response := _signed_in(request):
        return response
    sealed = request.session.get(SESSION_PHONE)
    if not sealed:
        return redirect(_with_next(reverse("accounts:worker_login"), request))
    phone = crypto.decrypt(sealed)
    error = ""
    status = 200
    if request.method == "POST" and "resend" in request.POST:
        try:
            worker_codes.login_code_send(phone=phone, ip=client_address(request))
            messages.info(request, "已重新发送验证码")
        except DomainError as exc:
            error, status = exc.message, exc.status
    elif request.method == "POST":
        try:
            user = worker_codes.login_code_verify(phone=phone, code=request.POST.get("code", ""))
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            target = _next(request)
            login(request, user, backend=BACKEND)
            request.session.pop(SESSION_PHONE, None)
            return redirect(target)
    return render(
        request,
        "accounts/worker_verify.html",
        {"phone_masked": mask_phone(phone), "error": error, "next": _next(request)},
        status=status,
    )
