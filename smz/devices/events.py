"""Event kinds of devices: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class DevicesEventKind(StrEnum):
    """Event kinds written by devices (core.Event.kind, stored: never renamed)."""

    DEVICE_REGISTERED = "device.registered"
    DEVICE_SECRET_ROTATED = "device.secret_rotated"
    DEVICE_RETIRED = "device.retired"
    DEVICE_COMMAND_QUEUED = "device.command_queued"
    DEVICE_ADDRESS_PINNED = "device.address_pinned"
    DEVICE_ADDRESS_REBOUND = "device.address_rebound"
    ENTRANCE_CREATED = "entrance.created"
    ENTRANCE_UPDATED = "entrance.updated"
    ENTRANCE_CLOSED = "entrance.closed"
    ENTRANCE_REOPENED = "entrance.reopened"
    PROJECT_TERMINAL_NETWORK_SET = "project.terminal_network_set"
    PROJECT_SITE_BOUNDARY_SET = "project.site_boundary_set"
