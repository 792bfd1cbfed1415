"""Error codes of attendance (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class AttendanceErrorCode(StrEnum):
    """Codes answered by attendance: prefix `attendance.`."""

    MONTH_INVALID = "attendance.month_invalid"
    DATE_INVALID = "attendance.date_invalid"
    RANGE_TOO_LONG = "attendance.range_too_long"
