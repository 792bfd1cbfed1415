"""欠薪预警 read from the monthly summaries (issue 17 goal 4) gives the alerts the code that read every attended
person-day gave (smz/testing/alerts_reference.py), on random months: several projects and firms, days around
the pay days, draft and submitted sheets, paid and unpaid lines, people on two sheets, people with two labor
employments, managers and people with no employment at all who attended, employments changed afterwards."""

from __future__ import annotations

import random

import pytest

from conftest import make_worker
from smz.attendance.models import DailyAttendance
from smz.labor.selectors import RULES, alerts_for
from smz.registry.models import Employment
from smz.testing.alerts_city import TODAYS, USERS, alerts_city
from smz.testing.alerts_reference import reference_alerts_for
from smz.testing.monthly import consistent


def _key(a) -> tuple:
    return (a.rule, a.project.pk, a.employer_name, a.month, a.amount_fen, a.people, a.detail)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_issue17_4_alerts_from_the_summaries_are_the_alerts_from_the_days(world, seed):
    rng = random.Random(seed)
    alerts_city(world, rng, make_worker)
    assert consistent()
    seen: set[str] = set()

    def compare() -> None:
        for today in TODAYS:
            for name in USERS:
                user = world.user(name)
                expected = [_key(a) for a in reference_alerts_for(user, today=today)]
                assert [_key(a) for a in alerts_for(user, today=today)] == expected, (name, today)
                seen.update(k[0] for k in expected)
            for rule in ("attendance_no_payroll", "headcount"):
                user = world.user("city_supervisor")
                expected = [_key(a) for a in reference_alerts_for(user, today=today, rule=rule)]
                assert [_key(a) for a in alerts_for(user, today=today, rule=rule)] == expected

    compare()
    # employments changed afterwards (a role, a firm): both read them anew
    for e in rng.sample(list(Employment.objects.filter(worker__name__startswith="随机人")), 8):
        e.work_role = rng.choice(list(Employment.Role))
        e.employer = world.enterprises[rng.choice(("gc", "sub", "neighbour"))]
        e.save(update_fields=["work_role", "employer"])
    DailyAttendance.objects.filter(work_date__day__in=(3, 9, 17)).update(attended=False)
    assert consistent()
    compare()
    assert {"attendance_no_payroll", "headcount"} <= seen <= set(RULES)
