"""Labor contracts: one by id, the roster with its contracts, those expiring (续签提醒), the one in
force on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from smz.core.errors import NotFound
from smz.labor.models import (
    LaborContract,
)
from smz.labor.selectors.scopes import contracts_for
from smz.registry import scoping
from smz.registry.models import (
    Employment,
    Project,
)


def contract_get_for(user: Any, pk: int) -> LaborContract:
    contract = (
        contracts_for(user)
        .select_related(
            "employment__project", "employment__worker", "employment__employer", "employment__team"
        )
        .filter(pk=pk)
        .first()
    )
    if contract is None:
        raise NotFound("劳动合同")
    return contract


def roster_contracts_for(user: Any, project: Project) -> list[dict[str, Any]]:
    """Everyone on the project the user may see, with his active contract (or none)."""
    employments = (
        scoping.employments_for(user)
        .filter(project=project, status=Employment.Status.ACTIVE)
        .select_related("worker", "employer", "team")
        .order_by("employer__name", "team__name", "worker__name")
    )
    active = {
        c.employment_id: c
        for c in LaborContract.objects.filter(
            employment__in=employments.values("pk"), status=LaborContract.Status.ACTIVE
        )
    }
    return [{"e": e, "contract": active.get(e.pk)} for e in employments]


def contracts_expiring(
    user: Any, project: Project, *, within_days: int = 30, today: dt.date | None = None
) -> QuerySet[LaborContract]:
    """Active fixed-term contracts of people still on the project that end within N days of today (续签提醒)."""
    today = today or timezone.localdate()
    return (
        contracts_for(user)
        .filter(
            employment__project=project,
            employment__status=Employment.Status.ACTIVE,
            status=LaborContract.Status.ACTIVE,
            end_on__isnull=False,
            end_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("employment__worker", "employment__employer")
        .order_by("end_on")
    )


def contract_in_force(employment_id: int, day: dt.date) -> LaborContract | None:
    """The contract that governs a day: active, started, not past its end."""
    return (
        LaborContract.objects.filter(employment=employment_id, start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .order_by("-start_on", "-pk")
        .first()
    )
