"""欠薪预警 notices (L5; 条例 Art.27): the daily digest of the alerts (smz.labor.selectors.alerts_for) to the
people who chase the money, and the contract renewal reminders."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smz.accounts.models import User
from smz.labor.selectors import RULES, alert_counts, alerts_for, contracts_expiring
from smz.notifications.services import notify_plain
from smz.registry import scoping
from smz.registry.models import Project


def alerts_notify(*, today: dt.date | None = None) -> int:
    """Daily digest (cron): each project's GC staff, the authority of its area and the city's market section
    get one notice listing how many alerts stand. Returns the number of notices written."""
    today = today or timezone.localdate()
    url = "/labor/alerts/"
    sent = 0
    for user in User.objects.filter(
        is_active=True,
        role__in=[
            "city_admin",
            "city_supervisor",
            "approver_l1",
            "approver_l2",
            "enterprise_admin",
            "labor_specialist",
        ],
    ).select_related("authority"):
        if (
            user.role in {"enterprise_admin", "labor_specialist"}
            and not scoping.gc_project_ids(user).exists()
        ):
            continue
        alerts = alerts_for(user, today=today)
        if not alerts:
            continue
        counts = {RULES[k]: v for k, v in alert_counts(alerts).items() if v}
        title = f"欠薪预警 {today:%Y-%m-%d}：{len(alerts)} 条"
        if user.notifications.filter(title=title).exists():
            continue
        notify_plain([user], title, "；".join(f"{k} {v} 条" for k, v in counts.items()), url)
        sent += 1
    return sent + contracts_expiring_notify(today=today)


def contracts_expiring_notify(*, today: dt.date) -> int:
    """续签提醒: each roster staff member hears once a day how many of his people's contracts end within
    30 days (their own employer's, or everyone's on projects where the enterprise is the GC)."""
    sent = 0
    for user in User.objects.filter(
        is_active=True, role__in=["enterprise_admin", "labor_specialist"]
    ).select_related("enterprise"):
        projects = scoping.projects_for(user).filter(status=Project.Status.ACTIVE)
        n = sum(contracts_expiring(user, p, today=today).count() for p in projects)
        title = f"劳动合同续签提醒 {today:%Y-%m-%d}：{n} 份30日内到期"
        if n and not user.notifications.filter(title=title).exists():
            notify_plain([user], title, "", "/projects/")
            sent += 1
    return sent
