"""A worker's own pages: his payroll lines, days, contracts, exits, projects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from smz.attendance.models import DailyAttendance
from smz.labor.models import (
    ExitSettlement,
    LaborContract,
    PayrollLine,
)
from smz.labor.selectors.scopes import contracts_for, payroll_lines_for
from smz.registry import scoping
from smz.registry.models import (
    Project,
    Worker,
)


def my_lines(user: Any) -> QuerySet[PayrollLine]:
    """A worker's own payroll lines, newest month first."""
    return (
        payroll_lines_for(user)
        .select_related("payroll", "payroll__project", "payroll__employer", "payroll__team")
        .order_by("-payroll__month", "-pk")
    )


def my_attendance(user: Any, month: dt.date | None = None) -> dict[str, Any]:
    """A worker's own days of one month (the latest month he attended anywhere, unless `month` names one of
    his months), newest first, and the months he can choose from (newest first)."""
    mine = DailyAttendance.objects.filter(worker=user.worker_id)
    months = list(mine.dates("work_date", "month", order="DESC"))
    if month not in months:
        month = months[0] if months else timezone.localdate().replace(day=1)
    after = (month + dt.timedelta(days=31)).replace(day=1)
    rows = (
        mine.filter(work_date__gte=month, work_date__lt=after)
        .select_related("project")
        .order_by("-work_date", "project__name")
    )
    return {
        "month": month,
        "months": months,
        "days": [
            {
                "day": r.work_date,
                "project": r.project.name,
                "attended": r.attended,
                "first_in": r.first_in,
                "last_out": r.last_out,
                "hours": round(r.minutes / 60, 1),
            }
            for r in rows
        ],
    }


def my_line(user: Any, pk: int | None) -> PayrollLine | None:
    """One of a worker's own payroll lines, or None."""
    return my_lines(user).filter(pk=pk or 0).first()


def my_contracts(user: Any) -> QuerySet[LaborContract]:
    """A worker's own labor contracts with their project and employer."""
    return contracts_for(user).select_related("employment__project", "employment__employer")


def my_exits(user: Any) -> QuerySet[ExitSettlement]:
    """A worker's own exit confirmations."""
    return ExitSettlement.objects.filter(
        employment__in=scoping.employments_for(user).values("pk")
    ).select_related("employment__project")


def pay_slip_line_for(user: Any, pk: int) -> PayrollLine | None:
    """A payroll line whose pay slip the user may read (the worker, his employer, the GC, authorities)."""
    return (
        payroll_lines_for(user)
        .select_related("worker", "payroll__project", "payroll__employer", "payroll__team")
        .filter(pk=pk)
        .first()
    )


def my_projects(user: Any) -> QuerySet[Project]:
    """The projects a worker works or worked on (those he may complain about)."""
    return Project.objects.filter(employments__worker=user.worker_id).distinct()


def my_project(user: Any, code: str) -> Project | None:
    """One of a worker's projects by its code, or None."""
    return my_projects(user).filter(code=code).first()


def my_worker(user: Any) -> Worker:
    """A worker account's own person."""
    return Worker.objects.get(pk=user.worker_id)
