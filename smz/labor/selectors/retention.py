"""Retention: legal holds (the city's market section places and releases them)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from smz.accounts.models import Role
from smz.labor.models import (
    LegalHold,
)
from smz.registry.models import (
    Project,
)


def held_projects() -> set[int]:
    return set(LegalHold.objects.filter(released_at__isnull=True).values_list("project", flat=True))


def legal_holds_readable(user: Any) -> bool:
    """The city reads the legal holds: its market section (city_admin), its supervisors, superusers."""
    return bool(user.is_superuser or user.role in {Role.CITY_ADMIN, Role.CITY_SUPERVISOR})


def legal_holds_manageable(user: Any) -> bool:
    """Only the city's market section places and releases holds (the services check it again)."""
    return bool(user.is_superuser or user.role == Role.CITY_ADMIN)


def legal_hold_open(pk: int | None) -> LegalHold | None:
    """A legal hold still in force, or None (the city's pages; the service checks the role)."""
    return LegalHold.objects.filter(pk=pk or 0, released_at__isnull=True).first()


def project_by_code(code: str) -> Project | None:
    """A project by its code, city-wide (the legal holds page of the city's market section)."""
    return Project.objects.filter(code=code).first()


def legal_holds_list(*, limit: int = 500) -> QuerySet[LegalHold]:
    """Every legal hold, those in force first, newest first."""
    return LegalHold.objects.select_related("project", "placed_by", "released_by").order_by(
        "released_at", "-placed_at"
    )[:limit]
