"""Wages in the demo city (`manage.py seed_labor`): on gc_labor's showcase project last month's attendance
(the simulator's week, the month's earlier days filled in) becomes contracts, payrolls confirmed by the
workers, a bank batch through the special account with one line failed, and one worker's settled exit;
this month's payroll is a draft in progress; on another of the contractor's
projects a crafted October nobody paid shows up in 欠薪预警. Everything goes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone

from smz.accounts.models import User
from smz.attendance.models import DailyAttendance
from smz.labor import bankfile, services
from smz.labor.models import LaborContract, WageAccount
from smz.labor.services import entry, exits
from smz.registry.models import Employment, Enterprise, Project

SCAN = b"%PDF-1.4\n% demo scan of a signed sheet\n%%EOF\n"
RATES = ["300", "280", "320", "350", "260"]


def _contract(actor: User, e: Employment, n: int) -> None:
    if LaborContract.objects.filter(employment=e, status="active").exists():
        return
    services.contract_create(
        actor=actor,
        employment=e,
        data=services.ContractInput(
            period_type="fixed",
            start_on=e.entry_on,
            end_on=max(
                e.entry_on.replace(year=e.entry_on.year + 1),
                timezone.localdate() + dt.timedelta(days=180),
            ),
            task_description="",
            wage_kind="daily",
            rate_yuan=RATES[n % len(RATES)],
            piece_unit="",
            pay_day=10,
        ),
    )


def _labor_with_attendance(project: Project, first: dt.date, last: dt.date):
    attended = (
        DailyAttendance.objects.filter(
            project=project, work_date__range=(first, last), attended=True
        )
        .values("worker")
        .annotate(n=Count("pk"))
    )
    workers = [row["worker"] for row in attended]
    return Employment.objects.filter(
        project=project,
        worker__in=workers,
        status=Employment.Status.ACTIVE,
        work_role=Employment.Role.WORKER,
    ).select_related("worker", "employer")


def _closed_month_filled(
    project: Project, employments: list[Employment], month: dt.date, before: dt.date
) -> int:
    """The simulator plays the last week only: the closed month's working days before it, for the people it
    played, are filled in as daily rows (as for the arrears case) so the demo pays a whole closed month."""
    last = before - dt.timedelta(days=1)  # `before` is at most the first of the next month
    rows = []
    for e in employments:
        day = max(month, e.entry_on)
        while day <= last:
            if day.weekday() < 6:
                rows.append(
                    DailyAttendance(
                        project=project,
                        worker=e.worker,
                        work_date=day,
                        attended=True,
                        minutes=540,
                        valid_passes=2,
                        first_in=timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30))),
                        last_out=timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30))),
                    )
                )
            day += dt.timedelta(days=1)
    return len(DailyAttendance.objects.bulk_create(rows, ignore_conflicts=True))


def build_demo_labor(today: dt.date | None = None) -> dict[str, Any]:
    """Wages are paid for a closed month: last month is paid (a batch with one failed line, an exit), this
    month's payroll is a draft in progress (issue 11 item 7: 2026年12月 was paid on 12-05 for 4 days)."""
    today = today or timezone.localdate()
    gc_labor = User.objects.get(username="gc_labor")
    worker_user = User.objects.filter(username="worker").first()
    first = today.replace(day=1)
    closed = (first - dt.timedelta(days=1)).replace(day=1)
    done: dict[str, Any] = {}
    project = (
        Project.objects.filter(
            assigned_users=gc_labor, daily_attendance__work_date__gte=today - dt.timedelta(days=31)
        )
        .distinct()
        .order_by("pk")
        .first()
    )
    if project is None:
        return {"skipped": "最近没有考勤（先运行 simulate_demo_week）"}
    services.wage_account_set(
        actor=gc_labor,
        project=project,
        bank_code="102",
        bank_name="中国工商银行中山小榄支行",
        account_name=f"{gc_labor.enterprise.name}农民工工资专用账户",
        account_no="2011002109200088888",
        opened_on=project.actual_start or project.planned_start or today,
    )
    played = list(_labor_with_attendance(project, today - dt.timedelta(days=31), today))
    simulated_from = (
        DailyAttendance.objects.filter(
            project=project, work_date__gte=today - dt.timedelta(days=31)
        ).aggregate(first=Min("work_date"))["first"]
        or today
    )
    done["filled_days"] = _closed_month_filled(
        project, played, closed, before=min(simulated_from, first)
    )
    employers = sorted({e.employer_id for e in played})
    for employer_id in employers:
        employer = Enterprise.objects.get(pk=employer_id)
        for month in (closed, first):
            for n, (e, _days, _minutes) in enumerate(
                services.employments_for_month(project, employer, None, month)
            ):
                _contract(gc_labor, e, n)
    payrolls = []
    for employer_id in employers:
        payroll = services.payroll_draft(
            actor=gc_labor,
            project=project,
            employer=Enterprise.objects.get(pk=employer_id),
            team=None,
            month=closed,
        )
        if worker_user and worker_user.worker_id:
            mine = payroll.lines.filter(worker=worker_user.worker_id).first()
            if mine:
                services.payroll_line_confirm(actor=worker_user, line=mine)
        services.payroll_signed_sheet_attach(
            actor=gc_labor, payroll=payroll, data=SCAN, filename="signed-sheet.pdf"
        )
        problems = services.payroll_problems(payroll)
        if problems:
            done.setdefault("problems", []).extend(p.message for p in problems)
            continue
        services.payroll_submit(actor=gc_labor, payroll=payroll)
        services.payroll_review(actor=gc_labor, payroll=payroll)
        payrolls.append(payroll)
    done["payrolls"] = [p.no for p in payrolls]
    if payrolls:
        _pay_with_one_failure(gc_labor, project, worker_user, today, done)
        _exit_one(gc_labor, payrolls, worker_user, today, done)
    # This month is not over: its payroll is drafted from the days so far, to be finished after month end.
    done["in_progress"] = [
        services.payroll_draft(
            actor=gc_labor,
            project=project,
            employer=Enterprise.objects.get(pk=employer_id),
            team=None,
            month=first,
        ).no
        for employer_id in employers
    ]
    done["arrears_case"] = _crafted_arrears(gc_labor, project, today)
    done["accounts"] = _other_accounts(exclude=Project.objects.filter(payrolls__isnull=False))
    done["todos"] = _labor_todos(gc_labor, project, today, exclude={e.pk for e in played})
    return done


def _pay_with_one_failure(
    actor: User, project: Project, worker_user: User | None, today: dt.date, done: dict[str, Any]
) -> None:
    """The reviewed payrolls through the special account: one line (not the demo worker's) fails."""
    batch = services.payment_batch_export(actor=actor, project=project)
    rows, failed_one = [], False
    for p in batch.lines.select_related("payroll_line__worker").order_by("line_ref"):
        fail = not failed_one and p.payroll_line.worker_id != getattr(
            worker_user, "worker_id", None
        )
        failed_one = failed_one or fail
        rows.append(
            bankfile.ResultRow(
                line_ref=p.line_ref,
                status="failed" if fail else "paid",
                amount_fen=None if fail else p.amount_fen,
                bank_serial="" if fail else f"ICBC{today:%Y%m%d}{p.pk:06d}",
                reason="户名与账号不符" if fail else "",
                paid_on=None if fail else today,
            )
        )
    outcome = services.payment_result_import(actor=actor, batch=batch, rows=rows, parse_errors=[])
    done["batch"] = f"{batch.no}: 成功 {outcome.paid}，失败 {outcome.failed}"


def _exit_one(
    actor: User, payrolls: list, worker_user: User | None, today: dt.date, done: dict[str, Any]
) -> None:
    """One worker, paid for last month, leaves today with a settled exit confirmation (this month owed)."""
    leaver = next(
        (
            line.employment
            for p in payrolls
            for line in p.lines.select_related("employment__worker").filter(pay_status="paid")
            if line.worker_id != getattr(worker_user, "worker_id", None)
        ),
        None,
    )
    if leaver is None:
        return
    s = exits.exit_prepare(
        actor=actor, employment=leaver, exit_on=today, workload="所在班组分项工程完成"
    )
    exits.exit_signed_scan_attach(actor=actor, settlement=s, data=SCAN, filename="exit.pdf")
    exits.exit_register(actor=actor, settlement=s)
    done["exit"] = f"{leaver.worker.name}（结余 {s.balance_fen / 100:.2f} 元）"


def _labor_todos(actor: User, project: Project, today: dt.date, *, exclude: set[int]) -> str:
    """Work left on the labor specialist's home page (工作台): among people on the showcase project who did
    not attend this month, three contracts that end within 30 days and two people waiting for their entry
    checks."""
    idle = list(
        Employment.objects.filter(
            project=project, status=Employment.Status.ACTIVE, work_role=Employment.Role.WORKER
        )
        .exclude(pk__in=exclude)
        .exclude(contracts__status=LaborContract.Status.ACTIVE)
        .order_by("pk")[:5]
    )
    for n, (e, days) in enumerate(zip(idle[:3], (9, 18, 27), strict=False)):
        services.contract_create(
            actor=actor,
            employment=e,
            data=services.ContractInput(
                period_type="fixed",
                start_on=e.entry_on,
                end_on=today + dt.timedelta(days=days),
                task_description="",
                wage_kind="daily",
                rate_yuan=RATES[n % len(RATES)],
                piece_unit="",
                pay_day=10,
            ),
        )
    for e in idle[3:]:
        entry.entry_hold(actor=actor, employment=e)
    return f"将到期合同 {min(len(idle), 3)} 份，待进场核验 {max(len(idle) - 3, 0)} 人"


def _other_accounts(*, exclude) -> int:
    """Every other active site with labor gets a special account (the demo's contractors are diligent), so
    the alert list shows the crafted case rather than a wall of missing accounts."""
    n = 0
    for i, project in enumerate(
        Project.objects.filter(
            status=Project.Status.ACTIVE, in_scope=True, wage_account__isnull=True
        )
        .exclude(pk__in=exclude.values("pk"))
        .order_by("pk")
    ):
        WageAccount.objects.create(
            project=project,
            bank_code="105",
            bank_name="中国建设银行中山分行",
            account_name=f"{project.name}农民工工资专用账户",
            account_no=f"44050178{project.pk:06d}{i:04d}",
            opened_on=project.actual_start or project.planned_start or timezone.localdate(),
        )
        n += 1
    return n


def _crafted_arrears(actor: User, showcase: Project, today: dt.date) -> str:
    """A crafted case for 欠薪预警: last month on another of the contractor's projects, three people
    attended and were put on a submitted sheet that nobody paid, and the project has no special account."""
    # The month before last: its pay day (the 10th of last month) has passed whatever today is.
    month = (
        (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1) - dt.timedelta(days=1)
    ).replace(day=1)
    other = (
        Project.objects.filter(assigned_users=actor, status=Project.Status.ACTIVE)
        .exclude(pk=showcase.pk)
        .order_by("pk")
        .first()
    )
    if other is None:
        return "无"
    people = list(
        Employment.objects.filter(
            project=other, status=Employment.Status.ACTIVE, work_role=Employment.Role.WORKER
        )
        .select_related("employer")
        .order_by("pk")[:3]
    )
    if not people:
        return "无"
    days = [
        month + dt.timedelta(days=d)
        for d in range(0, 20)
        if (month + dt.timedelta(days=d)).weekday() < 6
    ]
    DailyAttendance.objects.bulk_create(
        [
            DailyAttendance(
                project=other,
                worker=e.worker,
                work_date=day,
                attended=True,
                minutes=540,
                valid_passes=2,
                first_in=timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30))),
                last_out=timezone.make_aware(dt.datetime.combine(day, dt.time(16, 30))),
            )
            for e in people
            for day in days
        ],
        ignore_conflicts=True,
    )
    employer = people[0].employer
    for n, (e, _days, _minutes) in enumerate(
        services.employments_for_month(other, employer, None, month)
    ):
        _contract(actor, e, n)
    payroll = services.payroll_draft(
        actor=actor, project=other, employer=employer, team=None, month=month
    )
    services.payroll_signed_sheet_attach(
        actor=actor, payroll=payroll, data=SCAN, filename="signed.pdf"
    )
    if services.payroll_problems(payroll):
        return "未生成（工资表检查未通过）"
    services.payroll_submit(actor=actor, payroll=payroll)
    return f"{other.name} {month:%Y-%m} {payroll.no} 未发放"
