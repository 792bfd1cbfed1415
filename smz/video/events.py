"""Event kinds of video: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class VideoEventKind(StrEnum):
    """Event kinds written by video (core.Event.kind, stored: never renamed)."""

    CAMERA_REGISTERED = "camera.registered"
    CAMERA_UPDATED = "camera.updated"
    CAMERA_RETIRED = "camera.retired"
    # Written by the SIP server (no user): a recorder's Catalog named a channel smz did not know.
    CAMERA_DISCOVERED = "camera.discovered"
    # Written by the SIP server (no user): a device's DeviceInfo changed its maker, model or firmware.
    CAMERA_DEVICE_INFO = "camera.device_info"
    PROJECT_SIP_PASSWORD_SET = "project.sip_password_set"
    VIDEO_PLATFORM_SAVED = "video.platform_saved"
