"""Fixtures shared by the attendance tests."""

from __future__ import annotations

import pytest

from smz.attendance import validity


@pytest.fixture
def exclusions(monkeypatch):
    """A pass exclusion reader (as face identity registers) that excludes the pass ids put in the returned set."""
    excluded: set[int] = set()
    monkeypatch.setitem(
        validity._exclusion_readers,
        "test",
        lambda ids: {pk: "not_same_person" for pk in ids if pk in excluded},
    )
    return excluded
