"""欠薪预警 (arrears alerts, L5; 条例 Art.27 and Guangzhou's paid-vs-attended check): the rules that find
wages at risk, computed on read from payrolls, attendance, exits and the special account, so every alert is
traceable to its data.

Rules (each yields Alert rows with the project, the employer and a reason in Chinese):
- unpaid: a submitted month past its pay day with money not (fully) paid, however long ago, until it is paid;
- late: a month paid, but after its pay day (the last LOOKBACK_MONTHS months);
- exit_unsettled: an exit confirmation with a balance still owed;
- attendance_no_payroll: people who attended in a month whose pay day has passed, with no submitted sheet
  (the last LOOKBACK_MONTHS months);
- headcount: in such a month, the number of people paid differs from the number who attended;
- no_account: an active in-scope project with labor on site and no wage special account."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook

from smz.attendance.models import LaborMonth, MonthlyAttendance
from smz.core.bulk import AnyOf
from smz.core.xlsx import safe_row
from smz.labor.models import (
    ExitSettlement,
    Payroll,
    PayrollLine,
    WageAccount,
)
from smz.labor.wages import DEFAULT_PAY_DAY, next_month_day
from smz.registry import scoping
from smz.registry.models import (
    Employment,
    Enterprise,
    Project,
)

RULES = {
    "unpaid": "逾期未足额发放",
    "late": "延迟发放",
    "exit_unsettled": "退场未结清",
    "attendance_no_payroll": "有考勤无工资表",
    "headcount": "发薪人数与出勤人数不符",
    "no_account": "未开设工资专用账户",
}


LOOKBACK_MONTHS = 6


@dataclass(frozen=True)
class Alert:
    rule: str
    project: Project
    employer_name: str
    month: dt.date | None
    amount_fen: int
    people: int
    detail: str

    @property
    def label(self) -> str:
        return RULES[self.rule]


def _months_back(today: dt.date) -> dt.date:
    first = today.replace(day=1)
    for _ in range(LOOKBACK_MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def _alert_project_ids(user: Any) -> set[int]:
    """The in-scope projects whose alerts the user sees (GC: its projects; authorities: their area)."""
    projects = scoping.projects_for(user).filter(in_scope=True)
    if scoping.is_enterprise_user(user):
        projects = projects.filter(pk__in=scoping.gc_project_ids(user))
    elif not scoping.is_authority(user):
        return set()
    return set(projects.values_list("pk", flat=True))


def _due(in_scope: list[int], today: dt.date) -> QuerySet[Payroll]:
    """The submitted sheets whose pay day has passed."""
    return Payroll.objects.filter(AnyOf(F("project"), in_scope), pay_due_on__lt=today).exclude(
        state=Payroll.State.DRAFT
    )


def _unpaid(due: QuerySet[Payroll]) -> QuerySet[Any]:  # annotated: owed, paid, unpaid_people
    """Sheets with money not (fully) paid, however old, until they are paid."""
    return due.annotate(
        owed=Coalesce(Sum("lines__net_fen"), 0),
        paid=Coalesce(Sum("lines__paid_fen"), 0),
        unpaid_people=Count("lines", filter=Q(lines__net_fen__gt=0) & ~Q(lines__pay_status="paid")),
    ).filter(paid__lt=F("owed"))


def _late_lines(due: QuerySet[Payroll], since: dt.date) -> QuerySet[PayrollLine]:
    """Lines paid after their sheet's pay day, of the last LOOKBACK_MONTHS months."""
    return PayrollLine.objects.filter(
        payroll__in=due.filter(month__gte=since),
        pay_status="paid",
        paid_on__gt=F("payroll__pay_due_on"),
    ).order_by()


def _paid_since(employment_ids: set[int]) -> dict[int, int]:
    """What has been paid on submitted sheets to these employments (an exit's figures are frozen)."""
    if not employment_ids:
        return {}
    return dict(
        PayrollLine.objects.filter(AnyOf(F("employment"), sorted(employment_ids)))
        .exclude(payroll__state=Payroll.State.DRAFT)
        .values("employment")
        .annotate(paid=Sum("paid_fen"))
        .values_list("employment", "paid")
    )


def _unsettled_exits(in_scope: list[int]) -> QuerySet[ExitSettlement]:
    return ExitSettlement.objects.filter(
        AnyOf(F("employment__project"), in_scope), balance_fen__gt=0
    )


def _without_account(project_ids: set[int], in_scope: list[int]) -> QuerySet[Project]:
    """Active projects with labor on site (one probe of the roster index a project) and no wage account."""
    have = set(
        WageAccount.objects.filter(AnyOf(F("project"), in_scope)).values_list("project", flat=True)
    )
    return (
        Project.objects.filter(AnyOf(F("pk"), sorted(project_ids - have)))
        .filter(status=Project.Status.ACTIVE)
        .filter(
            Exists(
                Employment.objects.filter(
                    project=OuterRef("pk"),
                    status=Employment.Status.ACTIVE,
                    work_role=Employment.Role.WORKER,
                )
            )
        )
        .order_by()
    )


def alerts_for(user: Any, *, today: dt.date | None = None, rule: str = "") -> list[Alert]:
    """Every alert on the projects the user may see (GC: its projects; authorities: their area)."""
    today = today or timezone.localdate()
    since = _months_back(today)
    project_ids = _alert_project_ids(user)
    if not project_ids:
        return []
    # A city's 1,000 project ids go to the database as one array (AnyOf), not one placeholder each.
    in_scope = sorted(project_ids)
    # the town is shown on every row (page and Excel): read with the projects, not once per row
    by_id = {
        p.pk: p
        for p in Project.objects.filter(AnyOf(F("pk"), in_scope)).select_related("jurisdiction")
    }
    alerts: list[Alert] = []
    wanted = (lambda r: r == rule) if rule else (lambda r: True)

    due = _due(in_scope, today)
    # Each rule is a fixed number of queries, however many projects, sheets and exits there are (N5).
    if wanted("unpaid"):
        # Unpaid wages stay on the list however old they are, until they are paid.
        for p in _unpaid(due.select_related("employer")):
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
            for row in _late_lines(due, since)
            .values("payroll")
            .annotate(amount=Sum("paid_fen"), people=Count("pk"), last=Max("paid_on"))
        }
        for payroll in (
            Payroll.objects.filter(AnyOf(F("pk"), sorted(late))).select_related("employer")
            if late
            else ()
        ):
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
            _unsettled_exits(in_scope).select_related("employment__employer", "employment__worker")
        )
        # The confirmation's figures are frozen; what counts is what has been paid since.
        paid_since = _paid_since({s.employment_id for s in settlements})
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
        alerts += _attendance_checks(project_ids, by_id, since, today, wanted)
    if wanted("no_account"):
        for pid in sorted(_without_account(project_ids, in_scope).values_list("pk", flat=True)):
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


def _closed_until(since: dt.date, today: dt.date) -> dt.date:
    """The first month from `since` whose pay day has not passed: the checks read the months before it."""
    closed_until = since
    while next_month_day(closed_until, DEFAULT_PAY_DAY) < today:
        closed_until = next_month_day(closed_until, 1)
    return closed_until


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _sheet_people(
    project_ids: set[int], since: dt.date, closed_until: dt.date
) -> tuple[dict[tuple[int, dt.date], dict[int, int]], dict[tuple[int, dt.date], int]]:
    """The people on the months' submitted sheets (any non-draft payroll), counted in SQL: per (project,
    month), how many of them were paid something, and per (project, month, employer) how many of them
    attended that month as the employer's labor (MonthlyAttendance.employer)."""
    lines = (
        PayrollLine.objects.filter(
            AnyOf(F("payroll__project"), sorted(project_ids)),
            payroll__month__gte=since,
            payroll__month__lt=closed_until,
        )
        .exclude(payroll__state=Payroll.State.DRAFT)
        .annotate(
            l_project=F("payroll__project"), l_month=F("payroll__month"), l_worker=F("worker")
        )
        .order_by()  # the lines' default order joins the projects, workers and firms: not needed here
        .values_list("l_project", "l_month", "l_worker", "paid_fen")
    )
    inner, params = lines.query.sql_with_params()
    monthly = MonthlyAttendance._meta.db_table
    sql = (
        "SELECT s.project_id, s.month, a.employer_id, COUNT(*), SUM(s.paid) FROM ("  # noqa: S608
        " SELECT l_project AS project_id, l_month AS month, l_worker AS worker_id,"
        " MAX(CASE WHEN paid_fen > 0 THEN 1 ELSE 0 END) AS paid"
        f" FROM ({inner}) l GROUP BY l_project, l_month, l_worker) s"
        f" LEFT JOIN {monthly} a ON a.project_id = s.project_id AND a.month = s.month"
        " AND a.worker_id = s.worker_id AND a.days > 0"
        " GROUP BY s.project_id, s.month, a.employer_id"
    )
    attended_on_sheet: dict[tuple[int, dt.date], dict[int, int]] = defaultdict(dict)
    paid: dict[tuple[int, dt.date], int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pid, month, employer, people, paid_people in cursor.fetchall():
            key = (pid, _as_date(month))
            paid[key] += int(paid_people)
            if employer is not None:
                attended_on_sheet[key][employer] = int(people)
    return attended_on_sheet, paid


class _MonthCheck(NamedTuple):
    """One (project, month) whose pay day has passed: the labor who attended, by employer, against the
    people on its submitted sheets (by employer) and the people paid."""

    project_id: int
    month: dt.date
    attended: dict[int, int]  # employer → people who attended
    on_sheet: dict[int, int]  # employer → of them, people on a submitted sheet
    paid: int

    def missing_by(self) -> dict[int, int]:
        """employer → attended minus on a sheet (negative: more on the sheets)."""
        return {e: n - self.on_sheet.get(e, 0) for e, n in self.attended.items()}

    def any_missing(self) -> bool:
        """Someone attended who is on no submitted sheet (sum(missing_by() > 0) > 0, without the dict)."""
        return any(n > self.on_sheet.get(e, 0) for e, n in self.attended.items())

    def workers(self) -> int:
        return sum(self.attended.values())


_NO_SHEET: dict[int, int] = {}


def _month_checks(project_ids: set[int], since: dt.date, today: dt.date) -> Iterator[_MonthCheck]:
    """Months whose pay day has passed: who attended (labor) vs who is on a submitted sheet, who was paid.

    Read as counts (issue 17 goal 4, N5): the labor who attended, per project, month and employer, from
    LaborMonth (kept by triggers from the daily rows and the employments: smz/attendance/monthly.py); the
    people on the submitted sheets counted in SQL. "Labor" is a person with a 建筑工人 employment on the
    project; a missing person's firm is that of the latest such employment. Same alerts as reading every
    attended person-day (smz/testing/alerts_reference.py, compared in test_alerts_reference.py)."""
    # Only months whose pay day has passed are checked: the months after them are not read at all.
    closed_until = _closed_until(since, today)
    if closed_until <= since:
        return
    attended: dict[tuple[int, dt.date], dict[int, int]] = defaultdict(dict)
    for pid, month, employer, people in LaborMonth.objects.filter(
        AnyOf(F("project"), sorted(project_ids)),
        month__gte=since,
        month__lt=closed_until,
        people__gt=0,
    ).values_list("project", "month", "employer", "people"):
        attended[(pid, month)][employer] = people
    if not attended:
        return
    on_sheet, paid = _sheet_people(project_ids, since, closed_until)
    for (pid, month), by_employer in sorted(attended.items()):
        yield _MonthCheck(
            pid,
            month,
            by_employer,
            on_sheet.get((pid, month), _NO_SHEET),
            paid.get((pid, month), 0),
        )


def _attendance_checks(
    project_ids: set[int],
    by_id: dict[int, Project],
    since: dt.date,
    today: dt.date,
    wanted: Callable[[str], bool],
) -> list[Alert]:
    """The alerts of the months' checks (_month_checks): people who attended but are on no submitted sheet
    (attendance_no_payroll), people paid differing from people who attended (headcount)."""
    alerts: list[Alert] = []
    checks = list(_month_checks(project_ids, since, today))
    if not checks:
        return alerts
    names = dict(
        Enterprise.objects.filter(
            AnyOf(F("pk"), sorted({e for c in checks for e in c.attended}))
        ).values_list("pk", "name")
    )
    labels = {c.month: f"{c.month:%Y-%m}" for c in checks}  # a few months, thousands of rows
    for c in checks:
        missing_by = c.missing_by()
        missing = sum(n for n in missing_by.values() if n > 0)
        if missing and wanted("attendance_no_payroll"):
            employers = sorted({names[e] for e, n in missing_by.items() if n > 0})
            alerts.append(
                Alert(
                    "attendance_no_payroll",
                    by_id[c.project_id],
                    "、".join(employers),
                    c.month,
                    0,
                    missing,
                    f"{labels[c.month]} 有 {missing} 人出勤但不在任何已提交的工资表上",
                )
            )
        workers = c.workers()
        if wanted("headcount") and c.paid != workers:
            alerts.append(
                Alert(
                    "headcount",
                    by_id[c.project_id],
                    "",
                    c.month,
                    0,
                    abs(workers - c.paid),
                    f"{labels[c.month]} 出勤 {workers} 人，发薪 {c.paid} 人",
                )
            )
    return alerts


def alert_counts(alerts: list[Alert]) -> dict[str, int]:
    counts = dict.fromkeys(RULES, 0)
    for a in alerts:
        counts[a.rule] += 1
    return counts


def alert_counts_for(user: Any, *, today: dt.date | None = None) -> dict[str, int]:
    """How many alerts alerts_for(user) lists, by rule, counted without building them (工作台; issue 17
    goal 4, N5: the city's 7,000 alerts with their projects, firms and texts took 55 ms of its home page).
    The same queries and checks as alerts_for, each rule's rows counted: no project, firm or text is read.
    Compared with len(alerts_for) by rule in test_alert_counts.py."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(RULES, 0)
    project_ids = _alert_project_ids(user)
    if not project_ids:
        return counts
    since = _months_back(today)
    in_scope = sorted(project_ids)
    due = _due(in_scope, today)
    counts["unpaid"] = _unpaid(due).count()
    counts["late"] = _late_lines(due, since).values("payroll").distinct().count()
    settlements = list(_unsettled_exits(in_scope).values_list("employment", "owed_fen"))
    paid_since = _paid_since({e for e, _ in settlements})
    counts["exit_unsettled"] = sum(owed > (paid_since.get(e) or 0) for e, owed in settlements)
    for c in _month_checks(project_ids, since, today):
        counts["attendance_no_payroll"] += c.any_missing()
        counts["headcount"] += c.paid != sum(c.attended.values())
    counts["no_account"] = _without_account(project_ids, in_scope).count()
    return counts


def alerts_summary_for(user: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    """工作台: how many alerts stand in the user's scope, by rule: the alerts page's counts (alert_counts_for,
    a fixed number of queries whatever the number of projects), so both always agree."""
    counts = alert_counts_for(user, today=today)
    return {
        "total": sum(counts.values()),
        "by_rule": [{"rule": k, "label": RULES[k], "n": n} for k, n in counts.items() if n],
    }


def alerts_xlsx(book: Workbook, alerts: Iterable[Alert]) -> None:
    """The alert list as a spreadsheet for the people who chase the money, written into a write-only workbook
    (smz.core.downloads) row by row."""
    ws = book.create_sheet("欠薪预警")
    for col, width in zip("ABCDEFGHI", (16, 18, 30, 10, 28, 9, 14, 6, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.append(
        [
            "预警类型",
            "项目编码",
            "项目名称",
            "镇区",
            "用工企业",
            "月份",
            "涉及金额(元)",
            "人数",
            "说明",
        ]
    )
    for a in alerts:
        ws.append(
            safe_row(
                [
                    a.label,
                    a.project.code,
                    a.project.name,
                    str(a.project.jurisdiction),
                    a.employer_name,
                    f"{a.month:%Y-%m}" if a.month else "",
                    a.amount_fen / 100,
                    a.people,
                    a.detail,
                ]
            )
        )
