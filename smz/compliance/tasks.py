"""Background task of compliance: the daily run (`compliance_run_day`), queued by cron after
attendance_close_day (README) — attendance sits below compliance and cannot queue it."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from smz.compliance.services.engine import judge
from smz.compliance.services.review import deductions_propose
from smz.core.timeutil import business_date


def yesterday() -> dt.date:
    """Yesterday in Asia/Shanghai: the last day attendance_close_day has closed."""
    return business_date(timezone.now()) - dt.timedelta(days=1)


@task()
def compliance_run_day(day: str = "") -> str:
    """Judge one day (default yesterday) for every in-scope project and propose a deduction for each counted
    violation (to the review queue of the authority that answers for the project); returns the summary."""
    target = dt.date.fromisoformat(day) if day else yesterday()
    summary = judge(target, target).summary()
    proposed = deductions_propose(target, target)
    return f"{summary}；新拟扣分 {proposed.created} 条"
