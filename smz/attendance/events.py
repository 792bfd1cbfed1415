"""Event kinds of attendance: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class AttendanceEventKind(StrEnum):
    """Event kinds written by attendance (core.Event.kind, stored: never renamed)."""

    PASS_CONTEST_FILED = "attendance.pass_contest_filed"
    PASS_CONTEST_ACCEPTED = "attendance.pass_contest_accepted"
    PASS_CONTEST_REJECTED = "attendance.pass_contest_rejected"
