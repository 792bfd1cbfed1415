"""Fixtures shared by the labor tests."""

from __future__ import annotations

import pytest

from smz.testing.labor import attend, contract


@pytest.fixture
def month(world):
    """October 2026 on p1: the GC's worker 20 days (8 h), the subcontractor's worker 18 days."""
    attend(world, "gc", 20)
    attend(world, "sub", 18)
    contract(world, "gc", rate="300")
    contract(world, "sub", rate="280", actor="sub_labor")
    return world
