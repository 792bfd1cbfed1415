"""What smz needs from a city video platform (市视频监控平台), whatever its make: its devices and channels with
their online state, and play URLs for one channel. One adapter per kind (wvp.py, sample.py); pick with
`smz.video.platforms.adapter_for(platform)`.

Adapters raise PlatformError with one of three codes (smz/video/errors.py):
- video.platform_unreachable: no usable answer (connection refused, timeout, HTTP 5xx, a body that is not the
  platform's JSON envelope) — it may work on the next try;
- video.platform_refused: the platform answered and said no (bad account, a refused request);
- video.no_stream: the channel has no live stream now (offline, unknown to the platform, the play timed out).
Messages are for people (zh-CN) and never carry the password or the platform's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smz.core.errors import DomainError
from smz.video.errors import VideoErrorCode


class PlatformError(DomainError):
    """The platform could not give what was asked (see the module docstring for the codes)."""

    status = (
        502  # the platform failed smz (unreachable, refused); 409 when the camera has no stream now
    )

    def __init__(self, code: VideoErrorCode, message: str):
        super().__init__(code, message, status=409 if code == VideoErrorCode.NO_STREAM else 502)


def unreachable(message: str) -> PlatformError:
    return PlatformError(VideoErrorCode.PLATFORM_UNREACHABLE, message)


def refused(message: str) -> PlatformError:
    return PlatformError(VideoErrorCode.PLATFORM_REFUSED, message)


def no_stream(message: str) -> PlatformError:
    return PlatformError(VideoErrorCode.NO_STREAM, message)


@dataclass(frozen=True)
class PlatformChannel:
    """A channel (a camera, or one input of a recorder) as the platform lists it. `device_id` is the GB/T 28181
    id of the device that registered to the platform (the camera itself, or its NVR); `channel_id` the
    channel's own id, which is smz's Camera.gb_id. `online`: the device is online and the channel is ON."""

    device_id: str
    channel_id: str
    name: str
    online: bool


@dataclass(frozen=True)
class PlatformDevice:
    """A device registered to the platform (an IPC, an NVR), with its online state."""

    device_id: str
    name: str
    online: bool


@dataclass(frozen=True)
class Inventory:
    """One read of the platform: its devices and all their channels."""

    devices: list[PlatformDevice]
    channels: list[PlatformChannel]

    def online_ids(self) -> dict[str, bool]:
        """GB/T 28181 id → online, for devices and channels (a channel wins where an IPC is both)."""
        states = {d.device_id: d.online for d in self.devices}
        states.update({c.channel_id: c.online for c in self.channels})
        return states


@dataclass(frozen=True)
class PlayUrls:
    """Where a browser can play a channel's live stream. `hls` is what smz's player uses; the others are kept
    for players that want them. `sample`: a demo clip, not a camera (labelled 演示样片 on the page)."""

    hls: str
    flv: str = ""
    ws_flv: str = ""
    fmp4: str = ""
    sample: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "hls": self.hls,
            "flv": self.flv,
            "ws_flv": self.ws_flv,
            "fmp4": self.fmp4,
            "sample": self.sample,
        }


class PlatformAdapter(Protocol):
    """The small interface every platform kind implements."""

    def inventory(self) -> Inventory:
        """Every device and channel the platform knows, with online state."""
        ...

    def play(self, *, device_id: str, channel_id: str) -> PlayUrls:
        """Start (or join) the channel's live stream and return its URLs."""
        ...
