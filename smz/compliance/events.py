"""Event kinds of compliance: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class ComplianceEventKind(StrEnum):
    """Event kinds written by compliance (core.Event.kind, stored: never renamed)."""

    RULE_VERSION_CREATED = "compliance.rule_version_created"
