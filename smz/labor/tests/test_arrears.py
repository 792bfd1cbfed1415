"""欠薪预警 (L5) on crafted months: each rule fires on its case and stays quiet otherwise; alerts are scoped."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from smz.labor import selectors
from smz.labor.models import PayrollLine
from smz.labor.services import arrears, exits
from smz.labor.views import authority
from smz.notifications.models import Notification
from smz.testing.downloads import download_body
from smz.testing.labor import (
    MONTH,
    attend,
    contract,
    submitted,
    submitted_october,
    wage_account,
)

TODAY = dt.date(2026, 11, 29)  # October's pay day (10 November) has passed


def rules(user, project="小榄甲住宅项目", **kw) -> dict[str, list[selectors.Alert]]:
    """The user's alerts about one project (p1 unless said), by rule."""
    found: dict[str, list[selectors.Alert]] = {}
    for a in selectors.alerts_for(user, today=kw.get("today", TODAY)):
        if a.project.name == project:
            found.setdefault(a.rule, []).append(a)
    return found


@pytest.fixture
def october(world):
    """October on p1: the sub's worker on a submitted sheet (5,040.00, unpaid); the GC's worker attended
    but is on no sheet; no special account yet."""
    attend(world, "gc", 20)
    world.payroll = submitted_october(world)
    return world


def test_r_l5_each_rule_on_a_crafted_month(october):
    found = rules(october.user("city_supervisor"))
    assert set(found) == {"unpaid", "attendance_no_payroll", "headcount", "no_account"}
    unpaid = found["unpaid"][0]
    assert unpaid.amount_fen == 504000 and unpaid.people == 1 and unpaid.month == MONTH
    assert found["attendance_no_payroll"][0].people == 1  # the GC's worker
    assert "甲建设" in found["attendance_no_payroll"][0].employer_name
    assert "出勤 2 人，发薪 0 人" in found["headcount"][0].detail
    # Before the pay day nothing about October is due yet.
    early = rules(october.user("city_supervisor"), today=dt.date(2026, 11, 9))
    assert "unpaid" not in early and "headcount" not in early


def test_r_l5_late_payment_and_paid_month_clear_unpaid(october):
    PayrollLine.objects.filter(payroll=october.payroll).update(
        paid_fen=504000, pay_status="paid", paid_on=dt.date(2026, 11, 20)
    )
    wage_account(october)
    found = rules(october.user("city_supervisor"))
    assert "unpaid" not in found and "no_account" not in found
    assert found["late"][0].detail.endswith("2026-11-20")
    assert "出勤 2 人，发薪 1 人" in found["headcount"][0].detail


def test_r_l5_unpaid_wages_stay_listed_until_paid_however_old(october):
    """A year on, October's unpaid sheet is still an alert; the attendance checks and late payments look back
    LOOKBACK_MONTHS months only."""
    a_year_on = dt.date(2027, 11, 29)
    found = rules(october.user("city_supervisor"), today=a_year_on)
    assert found["unpaid"][0].amount_fen == 504000 and found["unpaid"][0].month == MONTH
    assert "attendance_no_payroll" not in found and "headcount" not in found
    PayrollLine.objects.filter(payroll=october.payroll).update(
        paid_fen=504000, pay_status="paid", paid_on=dt.date(2027, 10, 1)
    )
    found = rules(october.user("city_supervisor"), today=a_year_on)
    assert "unpaid" not in found and "late" not in found  # paid, and October is past the window
    assert "late" in rules(october.user("city_supervisor"), today=dt.date(2027, 2, 1))


def test_r_l5_exit_without_settlement(october):
    s = exits.exit_prepare(
        actor=october.user("sub_labor"),
        employment=october.employments["sub"],
        exit_on=dt.date(2026, 11, 5),
        workload="木模板",
    )
    alert = rules(october.user("city_supervisor"))["exit_unsettled"][0]
    assert alert.amount_fen == s.balance_fen == 504000


def test_r_p3_alerts_are_scoped(october):
    assert rules(october.user("town_l1"))  # 小榄's department sees p1
    assert rules(october.user("gc_labor"))  # the GC sees its project
    for who in ("neighbour_town", "neighbour_labor", "sub_labor", "worker", "outsider"):
        assert rules(october.user(who)) == {}, who
    # 古镇's own project (labor on site, no special account) is the neighbours' business, not 小榄's.
    assert set(rules(october.user("neighbour_town"), project="古镇戊厂房项目")) == {"no_account"}
    assert rules(october.user("town_l1"), project="古镇戊厂房项目") == {}


def test_r_l5_page_export_and_daily_digest(october, as_user):
    page = as_user("town_l1").get(reverse("labor:alerts")).content.decode()
    assert "逾期未足额发放" in page and "5,040.00" in page
    xlsx = as_user("town_l1").get(reverse("labor:alerts") + "?export=xlsx")
    assert xlsx.status_code == 200 and download_body(xlsx)[:2] == b"PK"
    assert as_user("worker").get(reverse("labor:alerts")).status_code == 404
    sent = arrears.alerts_notify(today=TODAY)
    assert sent >= 3  # the GC's staff, 小榄's approvers, the city
    assert (
        Notification.objects.filter(
            user=october.user("town_l1"), title__startswith="欠薪预警"
        ).count()
        == 1
    )
    assert not Notification.objects.filter(user=october.user("sub_labor")).exists()  # not a GC
    assert arrears.alerts_notify(today=TODAY) == 0  # once a day


def test_r_l5_exit_alert_clears_once_paid(october):
    exits.exit_prepare(
        actor=october.user("sub_labor"),
        employment=october.employments["sub"],
        exit_on=dt.date(2026, 11, 5),
        workload="木模板",
    )
    assert rules(october.user("city_supervisor"))["exit_unsettled"][0].amount_fen == 504000
    PayrollLine.objects.filter(payroll=october.payroll).update(paid_fen=504000, pay_status="paid")
    assert "exit_unsettled" not in rules(october.user("city_supervisor"))


def test_n5_alert_queries_do_not_grow_with_sheets_and_exits(october):
    """The city's list covers ~1,000 projects: no rule may run a query per sheet or per exit. One of each
    (unpaid, paid late, exit owed) first, then two of each: the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def paid_late_and_exit(sheet, key: str, actor: str) -> None:
        PayrollLine.objects.filter(payroll=sheet).update(
            paid_fen=100, pay_status="paid", paid_on=dt.date(2026, 11, 20)
        )
        exits.exit_prepare(
            actor=october.user(actor),
            employment=october.employments[key],
            exit_on=dt.date(2026, 11, 5),
            workload="木模板",
        )

    def alerts_and_queries():
        with CaptureQueriesContext(connection) as queries:
            found = selectors.alerts_for(october.user("city_supervisor"), today=TODAY)
        return sorted(a.rule for a in found if a.project.name == "小榄甲住宅项目"), queries

    paid_late_and_exit(october.payroll, "sub", "sub_labor")
    one, before = alerts_and_queries()
    assert [one.count(r) for r in ("unpaid", "late", "exit_unsettled")] == [1, 1, 1]
    contract(october, "gc", rate="300")
    gc_sheet = submitted(october, "gc_labor", "gc")
    paid_late_and_exit(gc_sheet, "gc", "gc_labor")
    two, after = alerts_and_queries()
    assert [two.count(r) for r in ("unpaid", "late", "exit_unsettled")] == [2, 2, 2]
    assert len(after.captured_queries) == len(before.captured_queries)


def test_issue17_4_the_page_shows_one_page_of_alerts_the_counts_and_export_all(
    october, as_user, monkeypatch
):
    """The page lists ALERTS_PER_PAGE alerts at a time (the city has thousands); the counts by rule and the
    Excel export cover every alert of the filter, and the page links keep the filter."""
    monkeypatch.setattr(authority, "ALERTS_PER_PAGE", 2)
    every = selectors.alerts_for(october.user("town_l1"))
    assert len(every) >= 4
    client = as_user("town_l1")
    url = reverse("labor:alerts")

    def rows(html: str) -> list[str]:
        table = html.split('data-testid="alerts"')[1].split("</table>")[0]
        return [r.split("</td>")[0] for r in table.split("<tr><td>")[1:]]

    first = client.get(url).content.decode()
    assert len(rows(first)) == 2
    assert f"共 {len(every)} 条 · 第 1 / {(len(every) + 1) // 2} 页" in first
    counts = selectors.alert_counts(every)
    assert (
        f'有考勤无工资表 <span class="badge text-bg-danger">{counts["attendance_no_payroll"]}'
        in (first)
    )
    last = client.get(f"{url}?page={(len(every) + 1) // 2}").content.decode()
    assert len(rows(last)) == len(every) - 2 * ((len(every) + 1) // 2 - 1)
    assert client.get(f"{url}?page=999").status_code == 200  # past the end: the last page
    wb = load_workbook(io.BytesIO(download_body(client.get(f"{url}?export=xlsx"))))
    assert wb.active.max_row == len(every) + 1  # every alert, and the header
    one = client.get(f"{url}?rule=unpaid").content.decode()
    assert len(rows(one)) == counts["unpaid"] == 1 and 'data-testid="alerts-pages"' not in one
    wb = load_workbook(io.BytesIO(download_body(client.get(f"{url}?rule=headcount&export=xlsx"))))
    assert wb.active.max_row == counts["headcount"] + 1
