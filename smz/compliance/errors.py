"""Error codes of compliance (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class ComplianceErrorCode(StrEnum):
    """Codes answered by compliance: prefix `compliance.`."""

    FORBIDDEN = "compliance.forbidden"
    NO_VERSION = "compliance.no_version"
