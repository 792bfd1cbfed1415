"""The labor specialist's work (劳资工作台) across the projects in the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from smz.labor.models import (
    LaborContract,
    Payroll,
)
from smz.labor.selectors.scopes import contracts_for, payroll_lines_for
from smz.registry import scoping
from smz.registry.models import (
    Employment,
)


def labor_work_for(
    user: Any, *, within_days: int = 30, today: dt.date | None = None
) -> dict[str, Any]:
    """A labor specialist's work (劳资工作台), per project in the user's scope: payroll lines waiting for the
    worker's confirmation (on sheets still being drafted), active contracts of people on site ending within
    `within_days` (the same rule as contracts_expiring), and people waiting for their entry checks
    (待进场核验). A fixed number of queries however many projects."""
    today = today or timezone.localdate()

    def by_project(qs: QuerySet, field: str) -> dict[int, int]:
        return dict(qs.values(field).annotate(n=Count("pk")).values_list(field, "n").order_by())

    unconfirmed = by_project(
        payroll_lines_for(user).filter(
            confirmed_at__isnull=True, payroll__state=Payroll.State.DRAFT
        ),
        "payroll__project",
    )
    expiring = by_project(
        contracts_for(user).filter(
            employment__status=Employment.Status.ACTIVE,
            status=LaborContract.Status.ACTIVE,
            end_on__isnull=False,
            end_on__lte=today + dt.timedelta(days=within_days),
        ),
        "employment__project",
    )
    pending = by_project(
        scoping.employments_for(user).filter(
            status=Employment.Status.ACTIVE, gate_status="pending"
        ),
        "project",
    )
    ids = set(unconfirmed) | set(expiring) | set(pending)
    projects = scoping.projects_for(user).filter(pk__in=ids).order_by("code")
    rows = [
        {
            "project": p,
            "unconfirmed": unconfirmed.get(p.pk, 0),
            "expiring": expiring.get(p.pk, 0),
            "pending": pending.get(p.pk, 0),
        }
        for p in projects
    ]
    return {
        "rows": rows,
        "within_days": within_days,
        "unconfirmed": sum(r["unconfirmed"] for r in rows),
        "expiring": sum(r["expiring"] for r in rows),
        "pending": sum(r["pending"] for r in rows),
    }
