"""A random city for the 欠薪预警 comparison tests (labor/tests/test_alerts_reference.py, test_alert_counts.py):
people on rosters or not, attended days over nine months, wage sheets in random states."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from smz.attendance.models import DailyAttendance
from smz.labor.models import Payroll, PayrollLine
from smz.registry.models import Employment

# Months from April to December 2026; the checks look back six months from "today".
FIRST = dt.date(2026, 4, 1)
TODAYS = [
    dt.date(2026, 9, 15),  # August's pay day (15 September) not yet passed: checks up to July
    dt.date(2026, 9, 16),  # now August too
    dt.date(2026, 11, 1),
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 16),  # the lookback starts in July: earlier months drop out
]
USERS = ("city_supervisor", "town_l1", "neighbour_town", "gc_labor", "sub_labor", "gc_admin")


def nth_month(k: int) -> dt.date:
    """The k-th month from FIRST."""
    return dt.date(FIRST.year + (FIRST.month - 1 + k) // 12, (FIRST.month - 1 + k) % 12 + 1, 1)


def alerts_city(world: Any, rng: random.Random, make_worker: Callable[..., Any]) -> None:
    """Three projects' random people, rosters, attended days and wage sheets in random states (make_worker:
    the root conftest's)."""
    projects = [world.projects[k] for k in ("p1", "p2", "p3")]
    firms = [world.enterprises[k] for k in ("gc", "sub", "neighbour", "builder")]
    people = [make_worker(100 + i, f"随机人{i}") for i in range(24)]
    employment: dict[tuple[int, int], Employment] = {}
    for person in people:
        for project in rng.sample(projects, rng.choice((1, 1, 2))):
            kind = rng.random()
            if kind < 0.1:
                continue  # attends with no employment at all
            role = Employment.Role.MANAGER if kind < 0.25 else Employment.Role.WORKER
            for again in range(rng.choice((1, 1, 1, 2))):  # some came back with another firm
                employment[project.pk, person.pk] = Employment.objects.create(
                    project=project,
                    worker=person,
                    employer=rng.choice(firms),
                    work_type="010",
                    work_role=role if not again else rng.choice(list(Employment.Role)),
                    entry_on=dt.date(2026, 3, 1),
                    status=Employment.Status.EXITED if not again else Employment.Status.ACTIVE,
                    exit_on=dt.date(2026, 3, 2) if not again else None,
                )
    days = []
    for person in people:
        for project in projects:
            if (project.pk, person.pk) not in employment and rng.random() < 0.8:
                continue
            for k in rng.sample(range(9), 4):
                month = nth_month(k)
                for d in rng.sample(range(28), rng.randint(1, 4)):
                    days.append(
                        DailyAttendance(
                            project=project,
                            worker=person,
                            work_date=month + dt.timedelta(days=d),
                            attended=rng.random() < 0.8,
                        )
                    )
    DailyAttendance.objects.bulk_create(days, ignore_conflicts=True)
    # sheets: for some (project, firm, month), a sheet in a random state with some of the people on it
    user = world.user("sub_labor")
    serial = 0
    for project in projects:
        for firm in firms:
            for k in range(9):
                if rng.random() < 0.45:
                    continue
                month = nth_month(k)
                serial += 1
                payroll = Payroll.objects.create(
                    no=f"R{serial:05d}",
                    project=project,
                    employer=firm,
                    month=month,
                    state=rng.choice(list(Payroll.State)),
                    pay_due_on=month + dt.timedelta(days=44),
                    created_by=user,
                )
                for (pid, _), e in employment.items():
                    if pid != project.pk or rng.random() < 0.35:
                        continue
                    paid = rng.choice((0, 0, 10000))
                    PayrollLine.objects.create(
                        payroll=payroll,
                        employment=e,
                        worker_id=e.worker_id,
                        days_attended=1,
                        minutes_attended=480,
                        days_paid=1,
                        hours_paid=8,
                        wage_kind="daily",
                        rate_fen=10000,
                        gross_fen=10000,
                        net_fen=10000,
                        paid_fen=paid,
                        pay_status="paid" if paid else "unpaid",
                    )
