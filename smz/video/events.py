"""Event kinds of video: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class VideoEventKind(StrEnum):
    """Event kinds written by video (core.Event.kind, stored: never renamed)."""

    CAMERA_REGISTERED = "camera.registered"
    CAMERA_UPDATED = "camera.updated"
    CAMERA_RETIRED = "camera.retired"
    PROJECT_SIP_PASSWORD_SET = "project.sip_password_set"
    VIDEO_PLATFORM_SAVED = "video.platform_saved"
