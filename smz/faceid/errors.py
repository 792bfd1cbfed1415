"""Error codes of face identity (prefix `faceid.`)."""

from __future__ import annotations

from enum import StrEnum


class FaceidErrorCode(StrEnum):
    """Codes answered by face identity: prefix `faceid.`."""

    DUPLICATE_FORBIDDEN = "faceid.duplicate_forbidden"
    DUPLICATE_DECIDED = "faceid.duplicate_decided"
    DUPLICATE_NOTE = "faceid.duplicate_note"
    REVIEW_FORBIDDEN = "faceid.review_forbidden"
    REVIEW_DECIDED = "faceid.review_decided"
    REVIEW_CONTESTED = "faceid.review_contested"
    REVIEW_NOTE = "faceid.review_note"
