"""工作台: each role's home page shows its own work, composed from the owning apps' selectors (every figure
scoped through smz.registry.scoping there), plus the chart data the page draws (static/portal/charts.js)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals import selectors as approval_selectors
from smz.attendance import selectors as attendance_selectors
from smz.compliance.selectors import reports as compliance_reports
from smz.devices import selectors as device_selectors
from smz.labor import selectors as labor_selectors
from smz.registry import scoping
from smz.video import selectors as video_selectors

APPROVERS = frozenset({Role.APPROVER_L1, Role.APPROVER_L2})
LABOR = frozenset({Role.LABOR_SPECIALIST, Role.ENTERPRISE_ADMIN})
SITE = frozenset({Role.PROJECT_MANAGER, Role.SUPERVISION_MANAGER})
CITY = frozenset({Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.QUALITY_CLERK})
SITE_PROJECTS_SHOWN = 20


def dashboard_for(user: Any) -> dict[str, Any]:
    """The sections of the user's home page, by role ("" when a section is not his)."""
    role = Role.CITY_ADMIN if user.is_superuser and not user.role else user.role
    board: dict[str, Any] = {"kind": ""}
    if role in APPROVERS:
        board |= {
            "kind": "approver",
            "queue": approval_selectors.queue_summary_for(user),
            "city": attendance_selectors.city_today_for(user),
            "video": video_selectors.video_counts_for(user, timezone.now()),
        }
    elif role in LABOR:
        board |= {
            "kind": "labor",
            "labor": labor_selectors.labor_work_for(user),
            "arrears": labor_selectors.alerts_summary_for(user),
        }
    elif role in SITE:
        projects = list(
            scoping.projects_for(user)
            .select_related("jurisdiction")
            .order_by("code")[:SITE_PROJECTS_SHOWN]
        )
        board |= {
            "kind": "site",
            "site": attendance_selectors.projects_today_for(user, projects=projects),
            "day": attendance_selectors.today(),
        }
    elif role == Role.BUILDER:
        projects = list(
            scoping.projects_for(user)
            .select_related("jurisdiction")
            .order_by("code")[:SITE_PROJECTS_SHOWN]
        )
        board |= {
            "kind": "builder",
            "site": attendance_selectors.projects_today_for(user, projects=projects),
            "day": attendance_selectors.today(),
            "approvals": approval_selectors.request_list_for(user)[:10],
        }
    elif role in CITY:
        board |= {
            "kind": "city",
            "city": attendance_selectors.city_today_for(user),
            "devices": device_selectors.device_counts_for(user),
            "video": video_selectors.video_counts_for(user, timezone.now()),
            "arrears": labor_selectors.alerts_summary_for(user),
            "compliance": _compliance_month(user),
        }
    elif role == Role.WINDOW_CLERK:
        pending = approval_selectors.enrollments_pending_for(user)
        board |= {"kind": "window", "enrollments": pending.count(), "enroll_first": pending[:8]}
    board["charts"] = _charts(board)
    return board


def _compliance_month(user: Any) -> compliance_reports.MonthReport | None:
    """This month's city compliance figures (考核月报), for the city's staff."""
    if not compliance_reports.may_see_city(user):
        return None
    return compliance_reports.report_for(
        user, month=compliance_reports.month_of(None), jurisdiction_id=None
    )


def _charts(board: dict[str, Any]) -> dict[str, Any]:
    """Chart data for json_script: plain labels and numbers, drawn by charts.js (the tables beside the
    charts carry the same figures for readers without JavaScript)."""
    charts: dict[str, Any] = {}
    city = board.get("city")
    if city and city["towns"]:
        charts["towns"] = {
            "type": "bar",
            "labels": [t["jurisdiction"].short_name for t in city["towns"]],
            "datasets": [
                {"label": "在场登记人数", "data": [t["roster"] for t in city["towns"]]},
                {"label": "今日出勤人数", "data": [t["attended"] for t in city["towns"]]},
            ],
        }
        charts["rates"] = {
            "type": "bar",
            "horizontal": True,
            "percent": True,
            "labels": [t["jurisdiction"].short_name for t in city["towns"]],
            "datasets": [
                {"label": "今日出勤率 %", "data": [t["rate"] or 0 for t in city["towns"]]}
            ],
        }
    queue = board.get("queue")
    if queue and queue["by_kind"]:
        charts["queue"] = {
            "type": "doughnut",
            "labels": [k["label"] for k in queue["by_kind"]],
            "datasets": [{"label": "待我审批", "data": [k["n"] for k in queue["by_kind"]]}],
        }
    found = board.get("arrears")
    if found and found["by_rule"]:
        charts["arrears"] = {
            "type": "bar",
            "horizontal": True,
            "labels": [r["label"] for r in found["by_rule"]],
            "datasets": [{"label": "欠薪预警条数", "data": [r["n"] for r in found["by_rule"]]}],
        }
    return charts
