"""Error codes of compliance (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class ComplianceErrorCode(StrEnum):
    """Codes answered by compliance: prefix `compliance.`."""

    FORBIDDEN = "compliance.forbidden"
    NO_VERSION = "compliance.no_version"
    INVALID_TRANSITION = "compliance.invalid_transition"
    NOTE_REQUIRED = "compliance.note_required"
    APPEAL_CLOSED = "compliance.appeal_closed"
    APPEAL_OPEN = "compliance.appeal_open"
    APPEAL_TEXT = "compliance.appeal_text"
    APPEAL_DECIDED = "compliance.appeal_decided"
