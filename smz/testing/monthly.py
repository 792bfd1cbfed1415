"""The monthly summaries (smz/attendance/monthly.py) recounted from the daily rows and employments, to compare
with what the triggers kept."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from smz.attendance.models import DailyAttendance, LaborMonth, MonthlyAttendance
from smz.registry.models import Employment


def recount() -> dict[tuple[int, int, dt.date], tuple[int, int | None]]:
    """The summary as the daily rows and employments say it should be: per person-month with an attended
    day, the days and the employer of the latest 建筑工人 employment on the project (none: not labor)."""
    days: Counter[tuple[int, int, dt.date]] = Counter()
    for project, worker, day in DailyAttendance.objects.filter(attended=True).values_list(
        "project", "worker", "work_date"
    ):
        days[project, worker, day.replace(day=1)] += 1
    employer = {
        (p, w): e
        for p, w, e in Employment.objects.filter(work_role=Employment.Role.WORKER)
        .order_by("pk")
        .values_list("project", "worker", "employer")
    }
    return {(p, w, m): (n, employer.get((p, w))) for (p, w, m), n in days.items()}


def summary() -> dict[tuple[int, int, dt.date], tuple[int, int | None]]:
    return {
        (p, w, m): (n, e)
        for p, w, m, n, e in MonthlyAttendance.objects.values_list(
            "project", "worker", "month", "days", "employer"
        )
        if n
    }


def labor() -> dict[tuple[int, dt.date, int], int]:
    return {
        (p, m, e): n
        for p, m, e, n in LaborMonth.objects.values_list("project", "month", "employer", "people")
        if n
    }


def consistent() -> bool:
    expected = recount()
    people = Counter((p, m, e) for (p, _, m), (_, e) in expected.items() if e is not None)
    assert summary() == expected
    assert labor() == dict(people)
    return True
