"""Error codes of video (cameras, the GB/T 28181 SIP server, the video-platform adapters): prefix `video.`."""

from __future__ import annotations

from enum import StrEnum


class VideoErrorCode(StrEnum):
    """Codes answered by video's pages and services, and stored on SIP refusals (SipRefusal.code)."""

    GB_ID_INVALID = "video.gb_id_invalid"
    GB_ID_TAKEN = "video.gb_id_taken"
    GB_ID_WRONG_CITY = "video.gb_id_wrong_city"
    GB_ID_WRONG_TYPE = "video.gb_id_wrong_type"
    ENTRANCE_OTHER_PROJECT = "video.entrance_other_project"
    NVR_OTHER_PROJECT = "video.nvr_other_project"
    ALREADY_RETIRED = "video.already_retired"
    # SIP server refusals (stored, never answered with a personal number: there is none on this surface).
    SIP_UNKNOWN_ID = "video.sip_unknown_id"
    SIP_BAD_PASSWORD = "video.sip_bad_password"
    SIP_MALFORMED = "video.sip_malformed"
    SIP_TOO_LARGE = "video.sip_too_large"
    SIP_RATE_LIMITED = "video.sip_rate_limited"
    SIP_RETIRED = "video.sip_retired"
    SIP_NO_PASSWORD = "video.sip_no_password"
    SIP_NOT_REGISTERED = "video.sip_not_registered"
    SIP_BAD_REQUEST = "video.sip_bad_request"
    # The city's video platform (adapter) could not be read.
    PLATFORM_UNREACHABLE = "video.platform_unreachable"
    PLATFORM_REFUSED = "video.platform_refused"
    NO_STREAM = "video.no_stream"
    PLATFORM_INVALID = "video.platform_invalid"
