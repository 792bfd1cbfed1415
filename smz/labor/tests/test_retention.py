"""Retention (L4): nothing is purged before its date or while a legal hold stands; purges are events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from smz.core.errors import DomainError
from smz.core.models import Event
from smz.labor import exits, retention, services
from smz.labor.models import ExitSettlement, LaborContract, PaymentLine, Payroll
from smz.labor.tests.test_payroll import MONTH, _account, attend, confirm_all, contract


@pytest.fixture
def completed(world):
    """p1 with a paid October payroll, an exit and contracts; completed on 2026-12-31."""
    attend(world, "sub", 18)
    contract(world, "sub", rate="280", actor="sub_labor")
    payroll = services.payroll_draft(
        actor=world.user("sub_labor"),
        project=world.projects["p1"],
        employer=world.enterprises["sub"],
        team=None,
        month=MONTH,
    )
    confirm_all(world, payroll)
    services.payroll_submit(actor=world.user("sub_labor"), payroll=payroll)
    services.payroll_review(actor=world.user("gc_labor"), payroll=payroll)
    _account(world)
    services.payment_batch_export(actor=world.user("gc_labor"), project=world.projects["p1"])
    s = exits.exit_prepare(
        actor=world.user("sub_labor"),
        employment=world.employments["sub"],
        exit_on=dt.date(2026, 11, 5),
        workload="木模板",
    )
    exits.exit_confirm(actor=world.user("worker"), settlement=s)
    p1 = world.projects["p1"]
    p1.completed_on = dt.date(2026, 12, 31)
    p1.save()
    return world


def counts():
    return (Payroll.objects.count(), ExitSettlement.objects.count(), LaborContract.objects.count())


def test_r_l4_nothing_without_a_completion_date(world):
    attend(world, "sub", 3)
    contract(world, "sub", rate="280", actor="sub_labor")
    retention.retention_refresh()
    assert retention.retention_purge(today=dt.date(2099, 1, 1)).contracts == 0
    assert LaborContract.objects.count() == 1


def test_r_l4_dates_after_completion(completed):
    retention.retention_refresh()
    payroll = Payroll.objects.get()
    assert payroll.retain_until == dt.date(2029, 10, 31)  # 3 years after the month
    assert ExitSettlement.objects.get().retain_until == dt.date(
        2028, 12, 31
    )  # 2 years after completion
    assert LaborContract.objects.get().retain_until == dt.date(2028, 12, 31)


def test_r_l4_never_early_and_in_order(completed):
    retention.retention_refresh()
    assert retention.retention_purge(today=dt.date(2028, 12, 31)) == retention.PurgeResult(
        0, 0, 0, 0
    )
    assert counts() == (1, 1, 1)
    # 2029-01-01: the exit has expired; the contract stays while the payroll line still points at it.
    r = retention.retention_purge(today=dt.date(2029, 1, 1))
    assert (r.payrolls, r.exits, r.contracts) == (0, 1, 0)
    assert counts() == (1, 0, 1)
    r = retention.retention_purge(today=dt.date(2029, 11, 1))
    assert (r.payrolls, r.contracts) == (1, 1)
    assert counts() == (0, 0, 0) and not PaymentLine.objects.exists()
    assert Event.objects.filter(kind="retention.purged").count() == 3


def test_r_l4_legal_hold_stops_the_purge_until_released(completed):
    retention.retention_refresh()
    with pytest.raises(DomainError):
        retention.legal_hold_place(
            actor=completed.user("town_l1"), project=completed.projects["p1"], reason="x"
        )
    hold = retention.legal_hold_place(
        actor=completed.user("city_admin"),
        project=completed.projects["p1"],
        reason="劳动仲裁案件取证",
    )
    r = retention.retention_purge(today=dt.date(2035, 1, 1))
    assert (r.payrolls, r.exits, r.contracts, r.held) == (0, 0, 0, 3)
    assert counts() == (1, 1, 1)
    retention.legal_hold_release(actor=completed.user("city_admin"), hold=hold)
    assert retention.retention_purge(today=dt.date(2035, 1, 1), dry_run=True).payrolls == 1
    assert counts() == (1, 1, 1)  # a dry run removes nothing
    call_command("labor_retention")  # today (2026): nothing has expired
    assert counts() == (1, 1, 1)
