"""月度考核报表 (issue 13 item 7): a month's judgements per jurisdiction and for the whole city, computed from the
violations, deductions, reversals and appeals — projects judged, violations by rule, deductions by state, appeals
and their outcome — as a page, an Excel workbook and a PDF with bar charts (drawn as SVG, no plotting library).

Scope: city-wide authorities (and superusers) read every jurisdiction and the city; other authorities (town
housing departments, the safety center for the urban districts) read their own jurisdictions; nobody else.
A month is counted by the violation's day (violations, deductions) and by the filing day (appeals); the grades
are the enterprises' credit grades on the month's last day (smz.compliance.selectors.review.grade_counts) — every
enterprise for the city, the enterprises on the jurisdiction's in-scope projects (or deducted there) for a town.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from smz.accounts.models import Role
from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import Appeal, Deduction, DeductionReversal, Violation
from smz.compliance.selectors.review import grade_counts
from smz.core.errors import Forbidden, NotFound, field_errors
from smz.core.forms import form_month
from smz.core.pdf import city_stamp, template_pdf
from smz.core.timeutil import business_date
from smz.core.xlsx import safe_row
from smz.registry.models import Jurisdiction, Participant, Project

REPORT_ROLES = frozenset(
    {
        Role.CITY_ADMIN,
        Role.CITY_SUPERVISOR,
        Role.QUALITY_CLERK,
        Role.APPROVER_L1,
        Role.APPROVER_L2,
    }
)
CHART_WIDTH = 360  # px of the longest bar in the SVG charts
TOP_ENTERPRISES = 10
MIN_YEAR = 2019  # the platform's first records (试运行期 ends 2020-01-31)


def _role(user: Any) -> str:
    return Role.CITY_ADMIN if user.is_superuser and not user.role else user.role


def _city_wide(user: Any) -> bool:
    return user.is_superuser or bool(user.authority_id and user.authority.city_wide)


def may_read_reports(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or (_role(user) in REPORT_ROLES and user.authority_id is not None)
    )


def report_jurisdictions_for(user: Any) -> QuerySet[Jurisdiction]:
    """The jurisdictions whose report the user may read."""
    if not may_read_reports(user):
        return Jurisdiction.objects.none()
    if _city_wide(user):
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(authorities=user.authority_id).distinct()


def month_of(text: str | None) -> dt.date:
    """'2026-11' → 2026-11-01; blank → the current month (city time); anything else is refused."""
    if not text:
        return business_date(timezone.now()).replace(day=1)
    month = form_month(text)
    if month is None or month.year < MIN_YEAR:
        raise field_errors({"month": "月份格式应为 YYYY-MM"})
    return month


def may_see_city(user: Any) -> bool:
    """The whole city's report: city-wide authorities only."""
    return may_read_reports(user) and _city_wide(user)


def default_jurisdiction_id(user: Any) -> int | None:
    first = report_jurisdictions_for(user).order_by("code").first()
    return first.pk if first else None


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass
class Bar:
    label: str
    value: float
    width: int = 0
    y: int = 0


@dataclass
class MonthReport:
    month: dt.date
    jurisdiction: Jurisdiction | None  # None: the whole city
    generated_at: dt.datetime
    projects_in_scope: int = 0
    projects_judged: int = 0
    projects_with_violations: int = 0
    violations: int = 0
    violations_counted: int = 0
    by_rule: list[dict[str, Any]] = field(default_factory=list)
    by_state: list[dict[str, Any]] = field(default_factory=list)
    reversed_count: int = 0
    confirmed_points: Decimal = Decimal(0)
    reversed_points: Decimal = Decimal(0)
    appeals: list[dict[str, Any]] = field(default_factory=list)
    appeals_total: int = 0
    by_jurisdiction: list[dict[str, Any]] = field(default_factory=list)
    top_enterprises: list[dict[str, Any]] = field(default_factory=list)
    grades: list[dict[str, Any]] = field(default_factory=list)
    grades_as_of: dt.date | None = None

    @property
    def scope_label(self) -> str:
        return self.jurisdiction.name if self.jurisdiction else "中山市（全市）"

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def net_points(self) -> Decimal:
        return self.confirmed_points - self.reversed_points

    @property
    def filename(self) -> str:
        where = self.jurisdiction.code if self.jurisdiction else "city"
        return f"compliance-{self.month:%Y-%m}-{where}"

    def chart(self, rows: list[dict[str, Any]], value: str, label: str = "label") -> dict[str, Any]:
        """Bars for an SVG chart: widths scaled to the largest value, one row of 22 px each."""
        top = max((float(r[value]) for r in rows), default=0) or 1
        bars = [
            Bar(str(r[label]), float(r[value]), round(CHART_WIDTH * float(r[value]) / top), 22 * i)
            for i, r in enumerate(rows)
        ]
        return {"bars": bars, "height": 22 * len(bars) + 4}

    @property
    def charts(self) -> dict[str, dict[str, Any]]:
        charts = {
            "rules": self.chart(self.by_rule, "count", "title"),
            "states": self.chart(self.by_state, "count"),
            "appeals": self.chart(self.appeals, "count"),
            "grades": self.chart(self.grades, "count"),
        }
        if self.by_jurisdiction:
            charts["towns"] = self.chart(self.by_jurisdiction, "net_points", "name")
        return charts


def report_for(user: Any, *, month: dt.date, jurisdiction_id: int | None) -> MonthReport:
    """The month's report of one jurisdiction (or the city, `jurisdiction_id=None`: city-wide users only)."""
    if not may_read_reports(user):
        raise Forbidden("无权查看考核报表", code=ComplianceErrorCode.FORBIDDEN)
    allowed = report_jurisdictions_for(user)
    jurisdiction = None
    if jurisdiction_id is None:
        if not may_see_city(user):
            raise Forbidden("全市报表仅限市级部门查看", code=ComplianceErrorCode.FORBIDDEN)
    else:
        jurisdiction = allowed.filter(pk=jurisdiction_id).first()
        if jurisdiction is None:
            raise NotFound("镇区")
    return build_report(month=month, jurisdiction=jurisdiction)


def build_report(*, month: dt.date, jurisdiction: Jurisdiction | None) -> MonthReport:
    """The figures, unscoped (callers check the reader): a fixed number of queries whatever the month's size."""
    end = _next_month(month)
    report = MonthReport(month=month, jurisdiction=jurisdiction, generated_at=timezone.now())
    projects = Project.objects.filter(in_scope=True)
    violations = Violation.objects.filter(day__gte=month, day__lt=end)
    deductions = Deduction.objects.filter(violation__day__gte=month, violation__day__lt=end)
    appeals = Appeal.objects.filter(
        filed_at__date__gte=month, filed_at__date__lt=end
    )  # filing month
    if jurisdiction is not None:
        projects = projects.filter(jurisdiction=jurisdiction)
        violations = violations.filter(project__jurisdiction=jurisdiction)
        deductions = deductions.filter(violation__project__jurisdiction=jurisdiction)
        appeals = appeals.filter(deduction__violation__project__jurisdiction=jurisdiction)

    report.projects_in_scope = projects.count()
    figures = violations.aggregate(
        n=Count("pk"),
        counted=Count("pk", filter=Q(counted=True)),
        projects=Count("project", distinct=True),
    )
    report.violations = figures["n"]
    report.violations_counted = figures["counted"]
    report.projects_with_violations = figures["projects"]
    # Judged: an in-scope project the daily run had obligations for in the month — started (actually, or by
    # its planned start) before the month ended and not completed before it began.
    report.projects_judged = (
        projects.filter(Q(actual_start__lt=end) | Q(planned_start__lt=end))
        .exclude(completed_on__lt=month)
        .count()
    )
    report.by_rule = [
        {
            "code": r["rule__code"],
            "title": r["rule_version__title"],
            "count": r["n"],
            "counted": r["n_counted"],
            "points": r["pts"] or Decimal(0),
        }
        for r in violations.values("rule__code", "rule_version__title")
        .annotate(
            n=Count("pk"),
            n_counted=Count("pk", filter=Q(counted=True)),
            pts=Sum("points", filter=Q(counted=True)),
        )
        .order_by("-n", "rule__code")
    ]
    states: dict[str, dict[str, Any]] = {
        r["state"]: dict(r)
        for r in deductions.values("state").annotate(n=Count("pk"), pts=Sum("points"))
    }
    report.by_state = [
        {
            "state": value,
            "label": label,
            "count": states.get(value, {}).get("n", 0),
            "points": states.get(value, {}).get("pts") or Decimal(0),
        }
        for value, label in Deduction.State.choices
    ]
    reversals = DeductionReversal.objects.filter(deduction__in=deductions).aggregate(
        n=Count("pk"), pts=Sum("deduction__points")
    )
    report.reversed_count = reversals["n"]
    report.reversed_points = reversals["pts"] or Decimal(0)
    report.confirmed_points = next(
        s["points"] for s in report.by_state if s["state"] == Deduction.State.CONFIRMED
    )
    appeal_states = dict(appeals.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    report.appeals = [
        {"state": value, "label": label, "count": appeal_states.get(value, 0)}
        for value, label in Appeal.State.choices
    ]
    report.appeals_total = sum(a["count"] for a in report.appeals)
    if jurisdiction is None:
        report.by_jurisdiction = _by_jurisdiction(violations, deductions)
    report.top_enterprises = _top_enterprises(deductions)
    report.grades_as_of = end - dt.timedelta(days=1)
    enterprise_ids = None
    if jurisdiction is not None:
        enterprise_ids = sorted(
            {
                *Participant.objects.filter(project__in=projects).values_list(
                    "enterprise", flat=True
                ),
                *deductions.values_list("enterprise", flat=True),
            }
        )
    report.grades = grade_counts(as_of=report.grades_as_of, enterprise_ids=enterprise_ids)
    return report


def _by_jurisdiction(violations: QuerySet, deductions: QuerySet) -> list[dict[str, Any]]:
    counts = dict(
        violations.values("project__jurisdiction")
        .annotate(n=Count("pk"))
        .values_list("project__jurisdiction", "n")
    )
    confirmed = deductions.filter(state=Deduction.State.CONFIRMED)
    points = dict(
        confirmed.values("violation__project__jurisdiction")
        .annotate(p=Sum("points"))
        .values_list("violation__project__jurisdiction", "p")
    )
    reversed_points = dict(
        confirmed.filter(reversal__isnull=False)
        .values("violation__project__jurisdiction")
        .annotate(p=Sum("points"))
        .values_list("violation__project__jurisdiction", "p")
    )
    rows = []
    for j in Jurisdiction.objects.filter(pk__in={*counts, *points}).order_by("code"):
        net = (points.get(j.pk) or Decimal(0)) - (reversed_points.get(j.pk) or Decimal(0))
        rows.append(
            {
                "name": j.short_name,
                "violations": counts.get(j.pk, 0),
                "confirmed_points": points.get(j.pk) or Decimal(0),
                "net_points": net,
            }
        )
    return rows


def _top_enterprises(deductions: QuerySet) -> list[dict[str, Any]]:
    rows = (
        deductions.filter(state=Deduction.State.CONFIRMED, reversal__isnull=True)
        .values("enterprise__name", "enterprise__corp_code")
        .annotate(n=Count("pk"), pts=Sum("points"))
        .order_by("-pts", "enterprise__name")[:TOP_ENTERPRISES]
    )
    return [
        {
            "name": r["enterprise__name"],
            "corp_code": r["enterprise__corp_code"],
            "count": r["n"],
            "points": r["pts"] or Decimal(0),
        }
        for r in rows
    ]


# ---- documents -----------------------------------------------------------------------------------------


def report_xlsx(report: MonthReport) -> bytes:
    """The report as a workbook: a summary sheet and one sheet per table; every cell through safe_cell."""
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "汇总"
    ws.append(safe_row([f"{report.scope_label} {report.month_label} 实名制考核月报"]))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(safe_row(["生成时间", city_stamp(report.generated_at)]))
    for label, value in [
        ("纳入实名制管理项目数", report.projects_in_scope),
        ("考核项目数", report.projects_judged),
        ("有违规的项目数", report.projects_with_violations),
        ("违规事实数", report.violations),
        ("其中计入扣分", report.violations_counted),
        ("已确认扣分（分）", float(report.confirmed_points)),
        ("撤销扣分（条）", report.reversed_count),
        ("撤销扣分（分）", float(report.reversed_points)),
        ("净扣分（分）", float(report.net_points)),
        ("申诉（件）", report.appeals_total),
    ]:
        ws.append(safe_row([label, value]))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 20

    def sheet(title: str, header: list[str], rows: list[list[Any]]) -> None:
        s = wb.create_sheet(title)
        s.append(safe_row(header))
        for cell in s[1]:
            cell.font = bold
        for row in rows:
            s.append(safe_row(row))
        for i in range(len(header)):
            s.column_dimensions[chr(ord("A") + i)].width = 18 if i else 22

    sheet(
        "按规则",
        ["规则编码", "规则名称", "违规事实数", "计入扣分数", "拟扣分"],
        [
            [r["code"], r["title"], r["count"], r["counted"], float(r["points"])]
            for r in report.by_rule
        ],
    )
    sheet(
        "扣分状态",
        ["状态", "条数", "分值"],
        [[s["label"], s["count"], float(s["points"])] for s in report.by_state]
        + [["其中已撤销", report.reversed_count, float(report.reversed_points)]],
    )
    sheet("申诉", ["结果", "件数"], [[a["label"], a["count"]] for a in report.appeals])
    if report.jurisdiction is None:
        sheet(
            "按镇区",
            ["镇区", "违规事实数", "已确认扣分", "净扣分"],
            [
                [
                    r["name"],
                    r["violations"],
                    float(r["confirmed_points"]),
                    float(r["net_points"]),
                ]
                for r in report.by_jurisdiction
            ],
        )
    sheet(
        "扣分企业",
        ["企业名称", "统一社会信用代码", "扣分条数", "净扣分"],
        [
            [e["name"], e["corp_code"], e["count"], float(e["points"])]
            for e in report.top_enterprises
        ],
    )
    sheet(
        "信用等级",
        ["信用等级", f"企业数（{report.grades_as_of:%Y-%m-%d}）"],
        [[g["label"], g["count"]] for g in report.grades],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_pdf(report: MonthReport) -> bytes:
    return template_pdf(
        "compliance/pdf/report.html",
        {"report": report, "generated": city_stamp(report.generated_at)},
    )
