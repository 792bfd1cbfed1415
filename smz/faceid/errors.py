"""Error codes of face identity (prefix `faceid.`)."""

from __future__ import annotations

from enum import StrEnum


class FaceidErrorCode(StrEnum):
    """Codes answered by face identity: prefix `faceid.`."""

    PASS_NOT_FOUND = "faceid.pass_not_found"
