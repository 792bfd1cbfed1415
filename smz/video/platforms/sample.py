"""演示样片: the demo city's stand-in for a video platform. It has no cameras of its own: it reports every camera
registered through it as online, and plays one short generated clip (tools/make_sample_stream.py, served from
smz's static files) for any of them — and, while it is enabled, for the online cameras registered directly to
smz's SIP server too (no media server in the demo: smz/video/services/platforms.py camera_play_urls). The live page labels it 演示样片 so nobody takes it for a site."""

from __future__ import annotations

from collections.abc import Iterable

from django.templatetags.static import static

from smz.video.platforms.base import Inventory, PlatformChannel, PlatformDevice, PlayUrls

SAMPLE_PLAYLIST = "video/sample/index.m3u8"
DEVICE_ID = "sample"


class SampleAdapter:
    def __init__(self, gb_ids: Iterable[str]):
        self.gb_ids = sorted(set(gb_ids))

    def check(self) -> int:
        return len(self.gb_ids)

    def inventory(self) -> Inventory:
        return Inventory(
            devices=[PlatformDevice(DEVICE_ID, "演示样片", True)],
            channels=[PlatformChannel(DEVICE_ID, g, "演示样片", True) for g in self.gb_ids],
        )

    def play(self, *, device_id: str, channel_id: str) -> PlayUrls:
        return PlayUrls(hls=static(SAMPLE_PLAYLIST), sample=True)
