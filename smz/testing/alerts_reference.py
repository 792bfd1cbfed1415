"""欠薪预警 as it was computed before the monthly summaries (issue 17 goal 4), kept to compare the counts
read from MonthlyAttendance / LaborMonth with: every attended person-day read into Python. Never called by
the application (labor/tests/test_alerts_reference.py).

One change from the code as it was: the employments were read in the model's order (project, person), so
for a person with two 建筑工人 employments on one project the firm named was whichever came last in an order
that did not decide between them; here they are read in id order, so it is the latest employment's firm
(what the summary keeps).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from smz.attendance.models import DailyAttendance
from smz.labor.models import ExitSettlement, Payroll, PayrollLine, WageAccount
from smz.labor.selectors.alerts import Alert, _months_back
from smz.labor.wages import DEFAULT_PAY_DAY, next_month_day
from smz.registry import scoping
from smz.registry.models import Employment, Project


def reference_alerts_for(user: Any, *, today: dt.date | None = None, rule: str = "") -> list[Alert]:
    """Every alert on the projects the user may see (GC: its projects; authorities: their area)."""
    today = today or timezone.localdate()
    since = _months_back(today)
    projects = scoping.projects_for(user).filter(in_scope=True)
    if scoping.is_enterprise_user(user):
        projects = projects.filter(pk__in=scoping.gc_project_ids(user))
    elif not scoping.is_authority(user):
        return []
    project_ids = set(projects.values_list("pk", flat=True))
    if not project_ids:
        return []
    # the town is shown on every row (page and Excel): read with the projects, not once per row
    by_id = {
        p.pk: p for p in Project.objects.filter(pk__in=project_ids).select_related("jurisdiction")
    }
    alerts: list[Alert] = []
    wanted = (lambda r: r == rule) if rule else (lambda r: True)

    due = Payroll.objects.filter(project__in=project_ids, pay_due_on__lt=today).exclude(
        state=Payroll.State.DRAFT
    )
    # Each rule is a fixed number of queries, however many projects, sheets and exits there are (N5).
    if wanted("unpaid"):
        # Unpaid wages stay on the list however old they are, until they are paid.
        for p in (
            due.select_related("employer")
            .annotate(
                owed=Coalesce(Sum("lines__net_fen"), 0),
                paid=Coalesce(Sum("lines__paid_fen"), 0),
                unpaid_people=Count(
                    "lines", filter=Q(lines__net_fen__gt=0) & ~Q(lines__pay_status="paid")
                ),
            )
            .filter(paid__lt=F("owed"))
        ):
            alerts.append(
                Alert(
                    "unpaid",
                    by_id[p.project_id],
                    p.employer.name,
                    p.month,
                    p.owed - p.paid,
                    p.unpaid_people,
                    f"{p.no} 应于 {p.pay_due_on:%Y-%m-%d} 前发放，尚欠 {(p.owed - p.paid) / 100:,.2f} 元",
                )
            )
    if wanted("late"):
        # Wages paid late are history once paid: the last LOOKBACK_MONTHS months are shown.
        late = {
            row["payroll"]: row
            for row in PayrollLine.objects.filter(
                payroll__in=due.filter(month__gte=since),
                pay_status="paid",
                paid_on__gt=F("payroll__pay_due_on"),
            )
            .values("payroll")
            .annotate(amount=Sum("paid_fen"), people=Count("pk"), last=Max("paid_on"))
        }
        for payroll in Payroll.objects.filter(pk__in=late).select_related("employer"):
            row = late[payroll.pk]
            alerts.append(
                Alert(
                    "late",
                    by_id[payroll.project_id],
                    payroll.employer.name,
                    payroll.month,
                    row["amount"] or 0,
                    row["people"],
                    f"{payroll.no} 应于 {payroll.pay_due_on:%Y-%m-%d} 前发放，"
                    f"实际最晚 {row['last']:%Y-%m-%d}",
                )
            )
    if wanted("exit_unsettled"):
        settlements = list(
            ExitSettlement.objects.filter(
                employment__project__in=project_ids, balance_fen__gt=0
            ).select_related("employment__employer", "employment__worker")
        )
        # The confirmation's figures are frozen; what counts is what has been paid since.
        paid_since = dict(
            PayrollLine.objects.filter(employment__in=[s.employment_id for s in settlements])
            .exclude(payroll__state=Payroll.State.DRAFT)
            .values("employment")
            .annotate(paid=Sum("paid_fen"))
            .values_list("employment", "paid")
        )
        for s in settlements:
            owed = s.owed_fen - (paid_since.get(s.employment_id) or 0)
            if owed <= 0:
                continue
            alerts.append(
                Alert(
                    "exit_unsettled",
                    by_id[s.employment.project_id],
                    s.employment.employer.name,
                    None,
                    owed,
                    1,
                    f"{s.employment.worker.name} {s.exit_on:%Y-%m-%d} 退场，尚欠 {owed / 100:,.2f} 元",
                )
            )
    if wanted("attendance_no_payroll") or wanted("headcount"):
        alerts += _reference_attendance_checks(project_ids, by_id, since, today, wanted)
    if wanted("no_account"):
        have = set(
            WageAccount.objects.filter(project__in=project_ids).values_list("project", flat=True)
        )
        labor = set(
            Employment.objects.filter(
                project__in=project_ids - have,
                status=Employment.Status.ACTIVE,
                work_role=Employment.Role.WORKER,
            ).values_list("project", flat=True)
        )
        for pid in sorted(labor):
            if by_id[pid].status == Project.Status.ACTIVE:
                alerts.append(
                    Alert(
                        "no_account",
                        by_id[pid],
                        "",
                        None,
                        0,
                        0,
                        "有劳务人员在场，未登记工资专用账户",
                    )
                )
    return sorted(alerts, key=lambda a: (a.project.code, a.month or dt.date.min, a.rule))


def _reference_attendance_checks(
    project_ids: set[int],
    by_id: dict[int, Project],
    since: dt.date,
    today: dt.date,
    wanted: Callable[[str], bool],
) -> list[Alert]:
    """Months whose pay day has passed: who attended (labor) vs who is on a submitted sheet, who was paid."""
    alerts: list[Alert] = []
    attended: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    employer_of: dict[tuple[int, int], str] = {}
    pay_passed: dict[dt.date, bool] = {}
    # Only months whose pay day has passed are checked: the months after them are not read at all.
    closed_until = since
    while next_month_day(closed_until, DEFAULT_PAY_DAY) < today:
        closed_until = next_month_day(closed_until, 1)
    for pid, month, worker in (
        DailyAttendance.objects.filter(
            project__in=project_ids,
            work_date__gte=since,
            work_date__lt=closed_until,
            attended=True,
        )
        .annotate(m=TruncMonth("work_date"))
        .values_list("project", "m", "worker")
        .distinct()
    ):
        if (due := pay_passed.get(month)) is None:  # once per month, not once per person-month
            due = pay_passed[month] = next_month_day(month, DEFAULT_PAY_DAY) < today
        if due:
            attended[(pid, month)].add(worker)
    labor = {
        (e["project"], e["worker"]): e["employer__name"]
        for e in Employment.objects.filter(
            project__in=project_ids, work_role=Employment.Role.WORKER
        )
        .order_by("project", "worker", "pk")
        .values("project", "worker", "employer__name")
    }
    employer_of.update(labor)
    on_sheet: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    paid: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for pid, month, worker, paid_fen in (
        PayrollLine.objects.filter(payroll__project__in=project_ids, payroll__month__gte=since)
        .exclude(payroll__state=Payroll.State.DRAFT)
        .values_list("payroll__project", "payroll__month", "worker", "paid_fen")
    ):
        on_sheet[(pid, month)].add(worker)
        if paid_fen > 0:
            paid[(pid, month)].add(worker)
    for (pid, month), workers in sorted(attended.items()):
        workers = {w for w in workers if (pid, w) in labor}
        if not workers:
            continue
        missing = workers - on_sheet[(pid, month)]
        if missing and wanted("attendance_no_payroll"):
            employers = sorted({employer_of[(pid, w)] for w in missing})
            alerts.append(
                Alert(
                    "attendance_no_payroll",
                    by_id[pid],
                    "、".join(employers),
                    month,
                    0,
                    len(missing),
                    f"{month:%Y-%m} 有 {len(missing)} 人出勤但不在任何已提交的工资表上",
                )
            )
        if wanted("headcount") and len(paid[(pid, month)]) != len(workers):
            alerts.append(
                Alert(
                    "headcount",
                    by_id[pid],
                    "",
                    month,
                    0,
                    abs(len(workers) - len(paid[(pid, month)])),
                    f"{month:%Y-%m} 出勤 {len(workers)} 人，发薪 {len(paid[(pid, month)])} 人",
                )
            )
    return alerts


def reference_alerts_summary_for(user: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    """工作台's 欠薪预警 summary as it was computed before alert_counts_for (issue 17 goal 4): every alert of
    the alerts page built (projects, firms, texts), then counted by rule."""
    from smz.labor.selectors.alerts import RULES, alert_counts, alerts_for

    alerts = alerts_for(user, today=today)
    counts = alert_counts(alerts)
    return {
        "total": len(alerts),
        "by_rule": [{"rule": k, "label": RULES[k], "n": n} for k, n in counts.items() if n],
    }
