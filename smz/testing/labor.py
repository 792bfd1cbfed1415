"""Labor test helpers: October 2026 attendance, contracts, payroll sheets at each stage, the wage account."""

from __future__ import annotations

import datetime as dt

from smz.attendance.models import DailyAttendance
from smz.labor import services
from smz.labor.models import LaborContract, Payroll, PayrollLine
from smz.labor.services import ContractInput

MONTH = dt.date(2026, 10, 1)


def attend(world, key: str, days: int, minutes: int = 480) -> None:
    e = world.employments[key]
    DailyAttendance.objects.bulk_create(
        DailyAttendance(
            project=e.project,
            worker=e.worker,
            work_date=MONTH + dt.timedelta(days=d),
            attended=True,
            minutes=minutes,
            valid_passes=2,
        )
        for d in range(days)
    )


def contract(world, key: str, *, rate="300", kind="daily", actor="gc_labor", **kw) -> LaborContract:
    data = ContractInput(
        period_type=kw.get("period_type", "fixed"),
        start_on=kw.get("start_on", dt.date(2026, 3, 1)),
        # Far enough ahead that a contract signed in the tests' October 2026 still governs when the suite
        # runs years later (entry checks want a contract in force today).
        end_on=kw.get("end_on", dt.date(2029, 12, 31)),
        task_description=kw.get("task", ""),
        wage_kind=kind,
        rate_yuan=rate,
        piece_unit=kw.get("unit", ""),
        pay_day=kw.get("pay_day", 10),
    )
    return services.contract_create(
        actor=world.user(actor), employment=world.employments[key], data=data
    )


def draft(world, who="sub_labor", employer="sub", team=None) -> Payroll:
    return services.payroll_draft(
        actor=world.user(who),
        project=world.projects["p1"],
        employer=world.enterprises[employer],
        team=team,
        month=MONTH,
    )


def submitted(world, who="sub_labor", employer="sub") -> Payroll:
    """MONTH's sheet for one employer: drafted, confirmed by everyone on it, submitted."""
    payroll = draft(world, who, employer)
    confirm_all(world, payroll)
    services.payroll_submit(actor=world.user(who), payroll=payroll)
    return payroll


def submitted_october(world) -> Payroll:
    """测试乙工: 18 days in October at 280 a day, 5,040.00 on a submitted sheet."""
    attend(world, "sub", 18)
    contract(world, "sub", rate="280", actor="sub_labor")
    return submitted(world)


def line_of(payroll: Payroll) -> PayrollLine:
    return payroll.lines.get()


def codes(payroll: Payroll) -> set[str]:
    return {p.code for p in services.payroll_problems(payroll)}


def confirm_all(world, payroll: Payroll) -> None:
    for line in payroll.lines.all():
        PayrollLine.objects.filter(pk=line.pk).update(
            confirmed_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), confirmed_via="online"
        )


# ---- contracts -------------------------------------------------------------------------------------


def ready_payroll(world) -> Payroll:
    payroll = draft(world)
    confirm_all(world, payroll)
    services.payroll_submit(actor=world.user("sub_labor"), payroll=payroll)
    return payroll


def wage_account(world):
    return services.wage_account_set(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        bank_code="102",
        bank_name="中国工商银行中山小榄支行",
        account_name="甲建设集团有限公司农民工工资专用账户",
        account_no="2011002109200012345",
        opened_on=dt.date(2024, 2, 1),
    )
