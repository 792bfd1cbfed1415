"""退场确认 (exit confirmations) of the people a user sees."""

from __future__ import annotations

from typing import Any

from smz.labor.models import (
    ExitSettlement,
)
from smz.registry import scoping
from smz.registry.models import (
    Employment,
)


def exit_get_for(user: Any, pk: int) -> ExitSettlement | None:
    """An exit confirmation of a person the user sees (employments_for), or None."""
    return (
        ExitSettlement.objects.select_related(
            "employment__project", "employment__worker", "employment__employer", "employment__team"
        )
        .filter(pk=pk, employment__in=scoping.employments_for(user).values("pk"))
        .first()
    )


def exit_of(employment: Employment) -> ExitSettlement | None:
    """The exit confirmation of an employment the caller got through employment_get_for, or None."""
    return ExitSettlement.objects.filter(employment=employment).first()
