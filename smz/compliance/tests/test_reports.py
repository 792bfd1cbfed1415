"""The monthly compliance report (issue 13 item 7): figures per jurisdiction and for the city, scoping, the
Excel and PDF downloads. Rows are written directly (smz.testing.compliance_reports) in October 2026."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import Deduction
from smz.compliance.selectors import reports
from smz.core.errors import CoreErrorCode
from smz.testing.compliance_reports import appealed, judged
from smz.testing.errors import refused

OCT = dt.date(2026, 10, 1)


@pytest.fixture
def month(world):
    """October 2026: 小榄 p1 has five violations (one in the trial sense: not counted), 古镇 p2 one;
    September and November rows must not count."""
    absent = judged(world, day=dt.date(2026, 10, 5))
    judged(world, day=dt.date(2026, 10, 6), state=Deduction.State.PROPOSED)
    judged(world, day=dt.date(2026, 10, 7), state=Deduction.State.DISMISSED)
    upheld = judged(
        world,
        day=dt.date(2026, 10, 8),
        rule="C-LB-UNREG",
        subject="worker:1",
        enterprise="sub",
        points="1",
    )
    judged(world, day=dt.date(2026, 10, 9), counted=False, state=None)
    judged(world, project="p2", day=dt.date(2026, 10, 9), enterprise="neighbour", points="3")
    judged(world, day=dt.date(2026, 9, 30))
    judged(world, day=dt.date(2026, 11, 1))
    appealed(world, absent, won=True)
    appealed(world, upheld, won=False)
    return world


def test_town_report_counts_its_own_month(month):
    j = month.projects["p1"].jurisdiction
    r = reports.report_for(month.user("town_l1"), month=OCT, jurisdiction_id=j.pk)
    assert (r.violations, r.violations_counted, r.projects_with_violations) == (5, 4, 1)
    assert r.projects_in_scope == 1 and r.projects_judged == 1
    rules = {x["code"]: (x["count"], x["counted"], x["points"]) for x in r.by_rule}
    assert rules == {"C-KP-ABSENT": (4, 3, Decimal(6)), "C-LB-UNREG": (1, 1, Decimal(1))}
    states = {s["state"]: (s["count"], s["points"]) for s in r.by_state}
    assert states == {
        "proposed": (1, Decimal(2)),
        "reviewed": (0, Decimal(0)),
        "confirmed": (2, Decimal(3)),
        "dismissed": (1, Decimal(2)),
    }
    assert (r.reversed_count, r.reversed_points, r.net_points) == (1, Decimal(2), Decimal(1))
    assert {a["state"]: a["count"] for a in r.appeals} == {"filed": 0, "upheld": 1, "reversed": 1}
    # The reversed deduction no longer weighs on the GC; the subcontractor's upheld one does.
    assert [(e["name"], e["points"]) for e in r.top_enterprises] == [("乙劳务有限公司", Decimal(1))]
    assert r.by_jurisdiction == []  # only the city report breaks down by town


def test_city_report_breaks_down_by_town(month):
    r = reports.report_for(month.user("city_supervisor"), month=OCT, jurisdiction_id=None)
    assert r.violations == 6 and r.projects_with_violations == 2
    towns = {t["name"]: (t["violations"], t["net_points"]) for t in r.by_jurisdiction}
    assert towns == {"小榄": (5, Decimal(1)), "古镇": (1, Decimal(3))}
    assert set(r.charts) == {"rules", "states", "appeals", "grades", "towns"}
    widest = max(b.width for b in r.charts["rules"]["bars"])
    assert widest == reports.CHART_WIDTH


def test_report_scope(month):
    xiaolan = month.projects["p1"].jurisdiction
    guzhen = month.projects["p2"].jurisdiction
    assert list(reports.report_jurisdictions_for(month.user("town_l1"))) == [xiaolan]
    with refused(CoreErrorCode.NOT_FOUND):
        reports.report_for(month.user("town_l1"), month=OCT, jurisdiction_id=guzhen.pk)
    with refused(ComplianceErrorCode.FORBIDDEN):
        reports.report_for(month.user("town_l1"), month=OCT, jurisdiction_id=None)
    for who in ("gc_admin", "gc_labor", "builder", "worker", "window_clerk", "sup_manager"):
        with refused(ComplianceErrorCode.FORBIDDEN):
            reports.report_for(month.user(who), month=OCT, jurisdiction_id=xiaolan.pk)
    assert reports.may_see_city(month.user("city_admin"))
    assert not reports.may_see_city(month.user("safety_l1"))


def test_month_must_be_a_month(world):
    with refused(CoreErrorCode.VALIDATION_ERROR):
        reports.month_of("2026-13")
    assert reports.month_of("2026-10") == OCT


def test_page_and_downloads(month, as_user):
    j = month.projects["p1"].jurisdiction
    client = as_user("town_l1")
    page = client.get("/compliance/reports/?month=2026-10").content.decode()  # defaults to its town
    assert f"{j.name}·2026年10月" in page and "全市" not in page
    assert 'data-testid="net-points">1 分' in page and "<svg" in page
    assert 'data-testid="report-grades"' in page and "企业信用等级（2026-10-31）" in page
    xlsx = client.get(f"/compliance/reports/excel/?month=2026-10&jurisdiction={j.pk}")
    assert xlsx["Content-Disposition"].endswith(f'compliance-2026-10-{j.code}.xlsx"')
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["汇总", "按规则", "扣分状态", "申诉", "扣分企业", "信用等级"]
    grade_rows = list(wb["信用等级"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in grade_rows] == ["A（优）", "B（良）", "C（中）", "D（差）"]
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["违规事实数"] == 5 and summary["净扣分（分）"] == 1
    pdf = client.get(f"/compliance/reports/pdf/?month=2026-10&jurisdiction={j.pk}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    city = as_user("city_admin").get("/compliance/reports/?month=2026-10").content.decode()
    assert "中山市（全市）·2026年10月" in city and 'data-testid="report-towns"' in city
    assert as_user("gc_admin").get("/compliance/reports/").status_code == 403


def test_excel_cells_are_safe(month):
    month.enterprises["sub"].name = "=HYPERLINK(1)"
    month.enterprises["sub"].save()
    report = reports.report_for(month.user("city_admin"), month=OCT, jurisdiction_id=None)
    wb = load_workbook(io.BytesIO(reports.report_xlsx(report)))
    names = [row[0] for row in wb["扣分企业"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" not in names


def grades(r: reports.MonthReport) -> dict[str, int]:
    return {g["grade"]: g["count"] for g in r.grades}


def test_grades_at_the_month_end_follow_confirmations_and_reversals(month):
    """Issue 13 item 7: the enterprises per credit grade on the month's last day; a reversal lifts the grade."""
    xiaolan = month.projects["p1"].jurisdiction
    city = month.user("city_admin")
    r = reports.report_for(city, month=OCT, jurisdiction_id=None)
    assert r.grades_as_of == dt.date(2026, 10, 31) and list(grades(r)) == ["A", "B", "C", "D"]
    assert grades(r) == {"A": len(month.enterprises), "B": 0, "C": 0, "D": 0}
    heavy = judged(month, day=dt.date(2026, 10, 20), enterprise="sub", points="20")
    late = judged(
        month, day=dt.date(2026, 11, 2), enterprise="gc", points="30"
    )  # after the month end
    r = reports.report_for(city, month=OCT, jurisdiction_id=None)
    assert grades(r) == {"A": len(month.enterprises) - 1, "B": 1, "C": 0, "D": 0}
    town = reports.report_for(month.user("town_l1"), month=OCT, jurisdiction_id=xiaolan.pk)
    assert sum(grades(town).values()) < len(month.enterprises) and grades(town)["B"] == 1
    appealed(month, heavy, won=True)
    assert grades(reports.report_for(city, month=OCT, jurisdiction_id=None))["B"] == 0
    nov = reports.report_for(city, month=dt.date(2026, 11, 1), jurisdiction_id=None)
    assert grades(nov)["C"] == 1 and late.deduction.points == 30
    assert "grades" in r.charts
