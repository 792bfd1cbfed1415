"""The city's video platforms (市视频监控平台, V2): the city administrator's configuration (the password
write-only), the connection test, the sync that reads online state from a platform, and the play URLs of a
camera for the live view.

The sync (`platform_sync`, run by `manage.py video_platform_sync [--loop SECONDS]`) reads the platform's whole
inventory and matches its channels (and devices) to smz's cameras of that platform by GB/T 28181 id: a camera the
platform lists online is online, anything else (listed offline, or not listed at all) is offline; the change goes
through `status.platform_states`, the one writer of intervals. A platform that cannot be read changes nothing at
first (its last_error says why); once it has been silent for STALE_AFTER, its cameras go offline as of its last
good read, so coverage is never credited for time nobody vouched for."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from smz.core.errors import DomainError
from smz.core.events import event_record
from smz.video.errors import VideoErrorCode
from smz.video.events import VideoEventKind
from smz.video.models import Camera, VideoPlatform
from smz.video.platforms import adapter_for
from smz.video.platforms.base import PlatformAdapter, PlatformError, PlayUrls, no_stream
from smz.video.selectors import require_platforms
from smz.video.services.status import platform_states

log = logging.getLogger(__name__)

POLL_SECONDS = 60
STALE_AFTER = dt.timedelta(seconds=3 * POLL_SECONDS)
PASSWORD_MAX = 64


# ---- configuration (the city administrator's page)


@dataclass
class PlatformInput:
    name: str
    kind: str
    base_url: str
    username: str
    password: str  # "" on an edit keeps the stored one (write-only field)
    enabled: bool


def platform_save(
    *, actor: Any, data: PlatformInput, platform: VideoPlatform | None = None
) -> VideoPlatform:
    """Add or edit a platform. The password is write-only: never shown again, kept when left empty."""
    require_platforms(actor)
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name or len(name) > 60:
        errors["name"] = "请填写平台名称（不超过60字）"
    if data.kind not in VideoPlatform.Kind.values:
        errors["kind"] = "请选择平台类型"
    base_url = data.base_url.strip()
    username = data.username.strip()
    password = data.password
    if data.kind == VideoPlatform.Kind.WVP:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or len(base_url) > 200:
            errors["base_url"] = "接口地址应为 http(s):// 开头的完整地址，如 http://10.0.0.5:18080"
        elif parts.query or parts.fragment or parts.username:
            errors["base_url"] = "接口地址不应包含查询参数或账号"
        if not username or len(username) > 60 or not username.isprintable():
            errors["username"] = "请填写视频平台账号（不超过60字）"
        if (password or platform is None or not platform.password) and not (
            0 < len(password) <= PASSWORD_MAX and password.isprintable()
        ):
            errors["password"] = f"请填写视频平台密码（不超过{PASSWORD_MAX}位）"
    elif data.kind == VideoPlatform.Kind.SAMPLE:
        base_url, username, password = "", "", ""
    other = VideoPlatform.objects.filter(name=name)
    if platform is not None:
        other = other.exclude(pk=platform.pk)
    if name and other.exists():
        errors["name"] = "已有同名的视频平台"
    if errors:
        raise DomainError(
            VideoErrorCode.PLATFORM_INVALID, "视频平台配置有误", {"fields": errors}, status=422
        )
    with transaction.atomic():
        target = platform or VideoPlatform()
        password_changed = bool(password) or (
            data.kind == VideoPlatform.Kind.SAMPLE and bool(target.password)
        )
        target.name, target.kind, target.base_url = name, data.kind, base_url
        target.username, target.enabled = username, data.enabled
        if password_changed:
            target.password = password
        target.save()
        event_record(
            actor=actor,
            kind=VideoEventKind.VIDEO_PLATFORM_SAVED,
            subject=target,
            data={
                "kind": target.kind,
                "host": urlsplit(base_url).netloc,
                "enabled": target.enabled,
                "password_changed": password_changed,
                "new": platform is None,
            },
        )
    return target


def platform_check(*, actor: Any, platform: VideoPlatform) -> str:
    """测试连接: log in and read the device list; a sentence for the page. Raises PlatformError."""
    require_platforms(actor)
    adapter = adapter_for(platform)
    count = adapter.check()
    if platform.kind == VideoPlatform.Kind.SAMPLE:
        return f"演示样片平台可用：{count} 个监控点经此平台接入"
    return f"连接成功：视频平台上有 {count} 个设备"


# ---- the sync (a management command / task, no actor: what the platform says)


@dataclass
class SyncResult:
    platform_id: int
    ok: bool
    cameras: int = 0
    online: int = 0
    error: str = ""


def platform_sync(
    *,
    platform: VideoPlatform,
    now: dt.datetime | None = None,
    adapter: PlatformAdapter | None = None,
) -> SyncResult:
    """One read of a platform's inventory turned into its cameras' online state (see the module docstring)."""
    now = now or timezone.now()
    cameras = list(
        Camera.objects.filter(platform=platform, status=Camera.Status.ACTIVE).values_list(
            "pk", "gb_id", "platform_device_id"
        )
    )
    try:
        inventory = (adapter or adapter_for(platform)).inventory()
    except PlatformError as exc:
        log.warning("video platform %s: %s", platform.pk, exc.code)
        last_good = platform.last_polled_at
        if last_good is None or now - last_good > STALE_AFTER:
            platform_states(platform.pk, {pk: False for pk, _, _ in cameras}, last_good or now)
        VideoPlatform.objects.filter(pk=platform.pk).update(last_error=exc.message[:200])
        return SyncResult(platform.pk, False, len(cameras), 0, exc.message)
    states = inventory.online_ids()
    device_of = {d.device_id: d.device_id for d in inventory.devices}
    device_of.update({c.channel_id: c.device_id for c in inventory.channels})
    online = {pk: states.get(gb_id, False) for pk, gb_id, _ in cameras}
    moved: dict[str, list[int]] = defaultdict(list)  # device id → cameras newly seen under it
    for pk, gb_id, known in cameras:
        device = device_of.get(gb_id)
        if device and device != known:
            moved[device].append(pk)
    with transaction.atomic():
        platform_states(platform.pk, online, now)
        for device, pks in moved.items():  # one statement per device (an NVR's channels together)
            Camera.objects.filter(pk__in=pks).update(platform_device_id=device)
        VideoPlatform.objects.filter(pk=platform.pk).update(last_polled_at=now, last_error="")
    return SyncResult(platform.pk, True, len(cameras), sum(online.values()))


def platforms_sync(*, now: dt.datetime | None = None) -> list[SyncResult]:
    """One pass over every enabled platform; one platform's failure does not stop the others."""
    return [
        platform_sync(platform=p, now=now)
        for p in VideoPlatform.objects.filter(enabled=True).order_by("pk")
    ]


# ---- live view


def camera_play_urls(*, camera: Camera, adapter: PlatformAdapter | None = None) -> PlayUrls:
    """The camera's live stream from its video platform, asked at request time. Raises PlatformError with a
    sentence for people when there is none (retired, registered directly, platform off, camera offline). A
    directly registered camera plays the sample clip where (and only where) a sample platform is enabled."""
    if camera.status != Camera.Status.ACTIVE:
        raise no_stream("该监控点已停用")
    if camera.is_recorder:
        raise no_stream("录像机本身没有画面，请选择它的通道")
    platform = camera.platform
    if camera.source != Camera.Source.PLATFORM or platform is None:
        # smz's own SIP server carries no media. Only where the demo's sample platform is configured (the demo
        # city: no real camera anywhere) does a directly registered camera play the sample clip instead.
        platform = VideoPlatform.objects.filter(
            kind=VideoPlatform.Kind.SAMPLE, enabled=True
        ).first()
        if platform is None:
            raise no_stream(
                "该摄像机直接注册本平台，实时视频需经市视频平台点播，暂无可播放的视频流"
            )
    if not platform.enabled:
        raise no_stream("视频平台已停用，无法播放实时视频")
    if not camera.online:
        raise no_stream("摄像机当前离线，无法播放实时视频")
    device_id = camera.platform_device_id or (camera.nvr.gb_id if camera.nvr else camera.gb_id)
    return (adapter or adapter_for(platform)).play(device_id=device_id, channel_id=camera.gb_id)
