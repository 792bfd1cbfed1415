"""Regimes from dates in data (C1, C3–C5): which obligations a project owes on a day, and whether a violation
is deducted — trial to 2020-01-31 computed but never deducted, formal from 2020-02-01."""

from __future__ import annotations

import datetime as dt

import pytest

from smz.compliance.models import LegacySystemProject, Obligation, Phase
from smz.compliance.selectors import phase_on, regime_for

TRIAL_LAST = dt.date(2020, 1, 31)
FORMAL_FIRST = dt.date(2020, 2, 1)
ALL_NEW = {
    Obligation.MANAGER_ATTENDANCE,
    Obligation.LABOR_REAL_NAME,
    Obligation.ATTENDANCE,
    Obligation.DOCKING,
    Obligation.DEVICES,
    Obligation.WAGES,
    Obligation.START_DATE,
    Obligation.VIDEO,
}


@pytest.fixture
def p1(world, rules):
    return world.projects["p1"]


def _dates(project, *, permit, planned):
    project.permit_issued_on = permit
    project.planned_start = planned
    project.save()
    return project


def test_phases_at_the_boundary(rules):
    assert phase_on(dt.date(2019, 12, 29)) is None
    assert phase_on(TRIAL_LAST).code == "trial"
    assert phase_on(FORMAL_FIRST).code == "formal"
    assert phase_on(dt.date(2030, 1, 1)).code == "formal"


def test_permit_from_2020_02_01_owes_manager_attendance_from_planned_start_plus_10(p1):
    _dates(p1, permit=FORMAL_FIRST, planned=dt.date(2020, 3, 1))
    before = regime_for(p1, dt.date(2020, 3, 10))
    assert before.regime.code == "permit_2020"
    assert Obligation.MANAGER_ATTENDANCE not in before.obligations
    assert Obligation.DOCKING in before.obligations  # docked before the start
    assert before.attendance_from == dt.date(2020, 3, 11)
    assert "考勤自 2020-03-11 起考核" in before.reasons
    on = regime_for(p1, dt.date(2020, 3, 11))
    assert on.obligations == frozenset(ALL_NEW) and on.deducts


def test_docking_is_owed_from_the_planned_start(p1):
    _dates(p1, permit=FORMAL_FIRST, planned=dt.date(2020, 3, 1))
    assert Obligation.DOCKING not in regime_for(p1, dt.date(2020, 2, 29)).obligations
    assert Obligation.DOCKING in regime_for(p1, dt.date(2020, 3, 1)).obligations
    assert regime_for(p1, dt.date(2020, 3, 1)).dock_deadline == dt.date(2020, 3, 1)


def test_permit_before_2020_02_01_is_labor_real_name_and_must_dock_by_2020_02_01(p1):
    _dates(p1, permit=TRIAL_LAST, planned=dt.date(2019, 6, 1))
    trial = regime_for(p1, TRIAL_LAST)
    assert trial.regime.code == "registered_before"
    assert trial.obligations == {Obligation.LABOR_REAL_NAME, Obligation.DEVICES, Obligation.WAGES}
    assert not trial.deducts and "试运行期：只计算、不扣分" in trial.reasons
    formal = regime_for(p1, FORMAL_FIRST)
    assert formal.dock_deadline == FORMAL_FIRST and formal.deducts
    assert Obligation.DOCKING in formal.obligations and Obligation.ATTENDANCE in formal.obligations
    assert Obligation.MANAGER_ATTENDANCE not in formal.obligations


def test_the_trial_computes_but_never_deducts(p1):
    _dates(p1, permit=dt.date(2020, 1, 2), planned=dt.date(2020, 1, 3))
    trial = regime_for(p1, TRIAL_LAST)
    assert trial.judged and not trial.deducts
    assert regime_for(p1, FORMAL_FIRST).deducts


def test_the_trial_end_is_data(p1):
    """C5: the dates are data — moving the trial's end in the table moves the answer."""
    _dates(p1, permit=dt.date(2019, 6, 1), planned=dt.date(2019, 7, 1))
    Phase.objects.filter(code="trial").update(ends_on=dt.date(2020, 2, 15))
    Phase.objects.filter(code="formal").update(starts_on=dt.date(2020, 2, 16))
    assert not regime_for(p1, FORMAL_FIRST).deducts
    assert regime_for(p1, dt.date(2020, 2, 16)).deducts


def test_a_project_on_the_old_integrity_system_keeps_it(p1, world):
    _dates(p1, permit=dt.date(2019, 5, 1), planned=dt.date(2019, 6, 1))
    LegacySystemProject.objects.create(
        project=p1, attended_since=dt.date(2019, 6, 1), recorded_by=world.user("city_admin")
    )
    answer = regime_for(p1, dt.date(2024, 5, 6))
    assert answer.regime.code == "old_system"
    assert answer.obligations == {Obligation.LABOR_REAL_NAME, Obligation.WAGES}


def test_out_of_scope_or_without_permit_date_nothing_is_judged(p1):
    _dates(p1, permit=None, planned=dt.date(2024, 2, 1))
    answer = regime_for(p1, dt.date(2024, 5, 6))
    assert answer.regime is None and not answer.judged and not answer.deducts
    assert "缺少施工许可发证日期，无法确定适用制度" in answer.reasons
    p1.floor_area_m2 = 100
    p1.save()
    assert not p1.in_scope
    assert regime_for(p1, dt.date(2024, 5, 6)).reasons[0].startswith("项目未纳入实名制管理")


def test_without_planned_start_attendance_is_not_owed(p1):
    _dates(p1, permit=dt.date(2024, 1, 10), planned=None)
    answer = regime_for(p1, dt.date(2024, 5, 6))
    assert Obligation.MANAGER_ATTENDANCE not in answer.obligations
    assert Obligation.DOCKING not in answer.obligations
    assert Obligation.LABOR_REAL_NAME in answer.obligations


def test_before_the_platform_started_nothing(p1):
    answer = regime_for(p1, dt.date(2019, 1, 1))
    assert answer.phase is None and not answer.judged
