"""Event kinds of face identity: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class FaceidEventKind(StrEnum):
    """Event kinds written by face identity (core.Event.kind, stored: never renamed)."""

    # A person's face photo got its descriptor (data: source, usable, model; never the vector).
    EMBEDDING_COMPUTED = "faceid.embedding_computed"
    # A pass's snapshot is not the enrolled person (data: pass, distance, threshold, model).
    NOT_SAME_PERSON = "faceid.not_same_person"
    # One face under two people, or a person's face replaced (data: kind, the two descriptors, distance).
    DUPLICATE_FOUND = "faceid.duplicate_found"
    DUPLICATE_CONFIRMED = "faceid.duplicate_confirmed"
    DUPLICATE_CLEARED = "faceid.duplicate_cleared"
    # A "not the same person" result contested by the pass's employer (data: pass); decided by the authority:
    # the stand-in confirmed, or overturned (the person himself; his day and the key posts' recomputed).
    CHECK_CONTESTED = "faceid.check_contested"
    CHECK_CONFIRMED = "faceid.check_confirmed"
    CHECK_OVERTURNED = "faceid.check_overturned"
