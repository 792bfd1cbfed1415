"""Adapters for the city's video platforms (市视频监控平台): base.py (the interface and its errors), wvp.py
(WVP-GB28181-pro over HTTP), sample.py (the demo's generated clip). `adapter_for` picks one for a platform row."""

from __future__ import annotations

from smz.video.models import Camera, VideoPlatform
from smz.video.platforms.base import PlatformAdapter, PlatformError, refused
from smz.video.platforms.sample import SampleAdapter
from smz.video.platforms.wvp import WvpAdapter

__all__ = ["PlatformAdapter", "PlatformError", "adapter_for"]


def adapter_for(platform: VideoPlatform) -> SampleAdapter | WvpAdapter:
    """The adapter of a platform's kind, with its stored account (the password decrypted here, used, not kept)."""
    if platform.kind == VideoPlatform.Kind.SAMPLE:
        return SampleAdapter(
            Camera.objects.filter(platform=platform, status=Camera.Status.ACTIVE).values_list(
                "gb_id", flat=True
            )
        )
    if platform.kind == VideoPlatform.Kind.WVP:
        if not platform.base_url:
            raise refused("视频平台未配置接口地址")
        return WvpAdapter(platform.base_url, platform.username, platform.password or "")
    raise refused("不支持的视频平台类型")
