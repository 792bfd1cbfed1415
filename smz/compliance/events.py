"""Event kinds of compliance: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class ComplianceEventKind(StrEnum):
    """Event kinds written by compliance (core.Event.kind, stored: never renamed)."""

    RULE_VERSION_CREATED = "compliance.rule_version_created"
    DEDUCTION_PROPOSED = "compliance.deduction_proposed"
    DEDUCTION_REVIEWED = "compliance.deduction_reviewed"
    DEDUCTION_CONFIRMED = "compliance.deduction_confirmed"
    DEDUCTION_DISMISSED = "compliance.deduction_dismissed"
    APPEAL_FILED = "compliance.appeal_filed"
    APPEAL_UPHELD = "compliance.appeal_upheld"
    APPEAL_REVERSED = "compliance.appeal_reversed"
    LEGACY_FLAGGED = "compliance.legacy_flagged"
    LEGACY_IMPORTED = "compliance.legacy_imported"
