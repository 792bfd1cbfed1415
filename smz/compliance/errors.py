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
    LEGACY_BAD_FILE = "compliance.legacy_bad_file"
    LEGACY_BAD_HEADER = "compliance.legacy_bad_header"
    LEGACY_EMPTY = "compliance.legacy_empty"
    LEGACY_INVALID_ROWS = "compliance.legacy_invalid_rows"
    LEGACY_NOT_FLAGGED = "compliance.legacy_not_flagged"
    LEGACY_FLAG_INVALID = "compliance.legacy_flag_invalid"
