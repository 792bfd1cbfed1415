"""Error codes of the device registry (its pages and services): prefix `device.`, shared with the terminal
protocols (smz/terminals/errors.py), one prefix for one domain."""

from __future__ import annotations

from enum import StrEnum


class DevicesErrorCode(StrEnum):
    """Codes answered by the device registry's pages and services."""

    SERIAL_TAKEN = "device.serial_taken"
    ALREADY_RETIRED = "device.already_retired"
    NOT_ZKTECO = "device.not_zkteco"
    SYNC_FORBIDDEN = "device.sync_forbidden"
    POLYGON_INVALID = "device.polygon_invalid"
    # Entrances (出入口, V1): names unique per site; a position must lie inside the site boundary when set.
    ENTRANCE_NAME_TAKEN = "device.entrance_name_taken"
    ENTRANCE_OFF_SITE = "device.entrance_off_site"
    ENTRANCE_ALREADY_CLOSED = "device.entrance_already_closed"
    ENTRANCE_NOT_CLOSED = "device.entrance_not_closed"
    # A terminal calling from an address other than the one it is bound to, or outside the project's allow-list:
    # the registry owns the binding and the lists (its pages show these refusals); the protocols answer them.
    ADDRESS_MISMATCH = "device.address_mismatch"
    ADDRESS_NOT_ALLOWED = "device.address_not_allowed"
