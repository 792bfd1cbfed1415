"""Payroll writes that check the sheet's state and then change it hold the payroll's row lock (issue 12
item 5): a sheet submitted while a line is being edited never ends up submitted with the edit on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smz.attendance.models import DailyAttendance
from smz.core.errors import DomainError
from smz.core.tests.races import postgres_only, race
from smz.labor import services
from smz.labor.models import Payroll, PayrollLine
from smz.labor.services import ContractInput, LineInput
from smz.labor.services import payrolls as payroll_services

MONTH = dt.date(2026, 10, 1)


def _confirmed_draft(world) -> Payroll:
    """October 2026: the subcontractor's worker, 18 days at 280 under a contract, his line confirmed."""
    employment = world.employments["sub"]
    DailyAttendance.objects.bulk_create(
        DailyAttendance(
            project=employment.project,
            worker=employment.worker,
            work_date=MONTH + dt.timedelta(days=d),
            attended=True,
            minutes=480,
            valid_passes=2,
        )
        for d in range(18)
    )
    services.contract_create(
        actor=world.user("sub_labor"),
        employment=employment,
        data=ContractInput(
            period_type="fixed",
            start_on=dt.date(2026, 3, 1),
            end_on=dt.date(2029, 12, 31),
            task_description="",
            wage_kind="daily",
            rate_yuan="280",
            piece_unit="",
            pay_day=10,
        ),
    )
    payroll = services.payroll_draft(
        actor=world.user("sub_labor"),
        project=world.projects["p1"],
        employer=world.enterprises["sub"],
        team=None,
        month=MONTH,
    )
    payroll.lines.update(
        confirmed_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), confirmed_via="online"
    )
    return payroll


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_issue12_line_edit_and_submit_at_once_never_submit_the_edit(world):
    """A line edit sits between its state check and its write while the sheet is submitted: the submit
    waits for the edit and then refuses (the edited line is unconfirmed); the sheet is never submitted
    carrying an edit its worker did not confirm."""
    payroll = _confirmed_draft(world)
    line = payroll.lines.get()
    user = world.user("sub_labor")
    edit, submit = race(
        first=lambda: services.payroll_line_update(
            actor=user,
            line=PayrollLine.objects.get(pk=line.pk),
            data=LineInput(17, Decimal("136"), "280", Decimal(0), "0", "", ""),
        ),
        second=lambda: services.payroll_submit(
            actor=user, payroll=Payroll.objects.get(pk=payroll.pk)
        ),
        hold_after=(payroll_services, "_editable"),
    )
    payroll.refresh_from_db()
    line.refresh_from_db()
    if payroll.state != Payroll.State.DRAFT:  # both got through: the race this lock closes
        assert (line.days_paid, line.confirmed_at is not None) == (18, True), (
            "a submitted sheet carries a line edited after submission, unconfirmed"
        )
    assert edit.error is None and line.days_paid == 17 and line.confirmed_at is None
    assert isinstance(submit.error, DomainError) and submit.error.code == "labor.payroll_invalid"
    assert payroll.state == Payroll.State.DRAFT


@pytest.mark.django_db
def test_issue12_correction_checks_the_sheet_as_stored_not_as_passed(world):
    """The correction sheet is refused for a sheet that is a draft in the database, even if the caller's
    copy says submitted: the state is read under the payroll's lock, inside the transaction."""
    payroll = _confirmed_draft(world)
    stale = Payroll.objects.get(pk=payroll.pk)
    stale.state = Payroll.State.SUBMITTED
    with pytest.raises(DomainError) as exc:
        services.payroll_correction_create(actor=world.user("sub_labor"), payroll=stale)
    assert exc.value.code == "labor.payroll_not_locked"
    assert not Payroll.objects.filter(corrects=payroll).exists()
