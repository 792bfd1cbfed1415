"""工作台's 欠薪预警 counts (alert_counts_for, issue 17 goal 4, N5) are the alerts page's alerts counted by rule
(smz/testing/alerts_reference.reference_alerts_summary_for), on random cities: the attendance months of
test_alerts_reference, plus sheets paid on time, late and not at all, exits owed and settled since, wage
accounts and projects not active, for every user and several days."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import Sum

from conftest import make_worker
from smz.labor.models import ExitSettlement, Payroll, PayrollLine, WageAccount
from smz.labor.selectors import RULES, alerts_summary_for
from smz.registry.models import Employment, Project
from smz.testing.alerts_city import TODAYS, USERS, alerts_city
from smz.testing.alerts_reference import reference_alerts_summary_for


def _money(world, rng: random.Random) -> None:
    """Pay days kept or missed, exits with money owed, special accounts, projects stopped."""
    for line in PayrollLine.objects.select_related("payroll"):
        due = line.payroll.pay_due_on
        kind = rng.random()
        if kind < 0.3:
            line.paid_fen, line.pay_status, line.paid_on = line.net_fen, "paid", due
        elif kind < 0.55:
            late = due + dt.timedelta(days=rng.randint(1, 90))
            line.paid_fen, line.pay_status, line.paid_on = line.net_fen, "paid", late
        elif kind < 0.65:
            line.paid_fen, line.pay_status, line.paid_on = line.net_fen // 2, "partial", due
        else:
            continue
        line.save(update_fields=["paid_fen", "pay_status", "paid_on"])
    creator = world.user("sub_labor")
    employments = list(Employment.objects.filter(worker__name__startswith="随机人"))
    for i, e in enumerate(rng.sample(employments, min(10, len(employments)))):
        # owed a little more than, just as much as, or less than what the submitted sheets have paid him
        since = (
            PayrollLine.objects.filter(employment=e)
            .exclude(payroll__state=Payroll.State.DRAFT)
            .aggregate(n=Sum("paid_fen"))["n"]
            or 0
        )
        paid = rng.choice((0, 0, 5000))
        owed = max(paid + 1, since + rng.choice((-5000, 0, 0, 5000)))
        ExitSettlement.objects.create(
            no=f"TC{i:04d}",
            employment=e,
            exit_on=dt.date(2026, 10, 1),
            workload="木模板",
            days_attended=3,
            owed_fen=owed,
            paid_fen=paid,
            balance_fen=owed - paid,
            created_by=creator,
        )
    for key in ("p1", "p2", "p3"):
        project = world.projects[key]
        if key != "p1" and rng.random() < 0.5:  # p1: labor, no account
            WageAccount.objects.create(
                project=project,
                bank_code="102",
                bank_name="中国工商银行中山小榄支行",
                account_name=f"{project.name}农民工工资专用账户",
                account_no="2011002109200012345",
                opened_on=dt.date(2024, 2, 1),
            )
        if key != "p1" and rng.random() < 0.3:
            Project.objects.filter(pk=project.pk).update(
                status=rng.choice([s for s in Project.Status if s != Project.Status.ACTIVE])
            )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_issue17_4_home_alert_counts_are_the_alerts_counted(world, seed):
    rng = random.Random(seed)
    alerts_city(world, rng, make_worker)
    _money(world, rng)
    seen: set[str] = set()
    for today in TODAYS:
        for name in (*USERS, "worker", "outsider"):
            user = world.user(name)
            expected = reference_alerts_summary_for(user, today=today)
            assert alerts_summary_for(user, today=today) == expected, (name, today)
            seen.update(r["rule"] for r in expected["by_rule"])
    assert seen == set(RULES)  # every rule fired somewhere, so every count was compared non-zero
    assert Payroll.objects.exists()
