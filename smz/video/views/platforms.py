"""视频平台 (the city administrator alone): the city's GB/T 28181 video platforms smz reads camera state and live
streams from — the list with each platform's last sync, adding and editing one (the password write-only: typed
in, never shown back), and 测试连接 (log in and read the device list now)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from smz.core.errors import DomainError
from smz.video.models import VideoPlatform
from smz.video.platforms.base import PlatformError
from smz.video.selectors import platform_get_for, platforms_for, require_platforms
from smz.video.services import platforms as services

HIDDEN = {"password", "csrfmiddlewaretoken"}


def _input(post: Any) -> services.PlatformInput:
    return services.PlatformInput(
        name=post.get("name", ""),
        kind=post.get("kind", ""),
        base_url=post.get("base_url", ""),
        username=post.get("username", ""),
        password=post.get("password", ""),
        enabled=post.get("enabled") == "on",
    )


def _refill(request: HttpRequest, exc: DomainError) -> dict[str, Any]:
    form = {k: v for k, v in request.POST.dict().items() if k not in HIDDEN}
    return form | {"errors": exc.form_errors(), "enabled": request.POST.get("enabled") == "on"}


@login_required
def platforms(request: HttpRequest) -> HttpResponse:
    """视频平台: every platform with its cameras and last sync; POST adds one."""
    require_platforms(request.user)
    form: dict[str, Any] = {"enabled": True, "kind": VideoPlatform.Kind.WVP}
    status = 200
    if request.method == "POST":
        try:
            platform = services.platform_save(actor=request.user, data=_input(request.POST))
            messages.success(request, f"视频平台“{platform.name}”已添加")
            return redirect("video:platform", platform.pk)
        except DomainError as exc:
            status, form = exc.status, _refill(request, exc)
    return render(
        request,
        "video/platforms.html",
        {
            "platforms": platforms_for(request.user),
            "kinds": VideoPlatform.Kind.choices,
            "form": form,
        },
        status=status,
    )


@login_required
def platform(request: HttpRequest, pk: int) -> HttpResponse:
    """One platform: its state and the edit form (password write-only)."""
    target = platform_get_for(request.user, pk)
    form: dict[str, Any] = {
        "name": target.name,
        "kind": target.kind,
        "base_url": target.base_url,
        "username": target.username,
        "enabled": target.enabled,
    }
    status = 200
    if request.method == "POST":
        try:
            services.platform_save(actor=request.user, data=_input(request.POST), platform=target)
            messages.success(request, "已保存")
            return redirect("video:platform", target.pk)
        except DomainError as exc:
            status, form = exc.status, _refill(request, exc)
    counts = platforms_for(request.user).get(pk=target.pk)
    return render(
        request,
        "video/platform.html",
        {
            "platform": target,
            "counts": counts,
            "kinds": VideoPlatform.Kind.choices,
            "form": form,
            "has_password": bool(target.password),
        },
        status=status,
    )


@login_required
@require_POST
def platform_test(request: HttpRequest, pk: int) -> HttpResponse:
    """测试连接: the adapter logs in and reads the device list now; the answer is shown as a message."""
    target = platform_get_for(request.user, pk)
    try:
        messages.success(request, services.platform_check(actor=request.user, platform=target))
    except PlatformError as exc:
        messages.error(request, f"连接失败：{exc.message}")
    return redirect(reverse("video:platform", args=[target.pk]))


platform_urlpatterns = [
    path("video/platforms/", platforms, name="platforms"),
    path("video/platforms/<int:pk>/", platform, name="platform"),
    path("video/platforms/<int:pk>/test/", platform_test, name="platform_test"),
]
