"""Judgement rows for the monthly report's tests (issue 13 item 7): violations, deductions, reversals and appeals
written directly (the daily run that finds them is tested on its own), on the `world` fixture's projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from smz.compliance.models import (
    Appeal,
    Deduction,
    DeductionReversal,
    DeductionRule,
    Violation,
)
from smz.compliance.services import rule_table_load


def judged(
    world: Any,
    *,
    project: str = "p1",
    day: dt.date,
    rule: str = "C-KP-ABSENT",
    subject: str = "post:P01",
    enterprise: str = "gc",
    points: str = "2",
    counted: bool = True,
    state: str | None = Deduction.State.CONFIRMED,
) -> Violation:
    """One violation on a project-day and, when `state` is given, its deduction in that state."""
    rule_table_load()
    r = DeductionRule.objects.get(code=rule)
    version = r.versions.order_by("-number").first()
    v = Violation.objects.create(
        project=world.projects[project],
        day=day,
        rule=r,
        rule_version=version,
        subject=subject,
        responsible=version.responsible,
        enterprise=world.enterprises[enterprise],
        points=Decimal(points),
        counted=counted,
        not_counted_reason="" if counted else "试运行期",
    )
    if state is not None and counted:
        Deduction.objects.create(violation=v, enterprise=v.enterprise, points=v.points, state=state)
    return v


def appealed(
    world: Any, violation: Violation, *, won: bool | None, filed_on: dt.date | None = None
) -> Appeal:
    """The enterprise appeals the violation's deduction (filed three days after the day unless `filed_on`);
    won=True reverses it, False upholds it, None leaves it pending."""
    deduction = violation.deduction
    appeal = Appeal.objects.create(
        deduction=deduction,
        enterprise=deduction.enterprise,
        text="当日项目经理在场，抓拍照片可证",
        filed_by=world.user("gc_admin"),
        state={None: Appeal.State.FILED, True: Appeal.State.REVERSED, False: Appeal.State.UPHELD}[
            won
        ],
        decided_by=None if won is None else world.user("town_l2"),
    )
    filed = filed_on or violation.day + dt.timedelta(days=3)
    moment = dt.datetime.combine(filed, dt.time(10), tzinfo=dt.UTC)
    Appeal.objects.filter(pk=appeal.pk).update(filed_at=moment)  # filed_at is auto_now_add
    appeal.filed_at = moment
    if won:
        DeductionReversal.objects.create(
            deduction=deduction,
            reason="申诉成立",
            appeal=appeal,
            decided_by=world.user("town_l2"),
        )
    return appeal


def reference_grade_counts(
    *, as_of: dt.date, enterprise_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """review.grade_counts as it was before it counted from the enterprises' ids (issue 17 goal 4): every
    enterprise's credit row (credit_rows) read, then counted by grade."""
    from smz.compliance.selectors.review import credit_rows, credit_table

    counts: dict[str, int] = {}
    wanted = None if enterprise_ids is None else set(enterprise_ids)
    for row in credit_rows(as_of=as_of):
        if wanted is None or row.enterprise.pk in wanted:
            counts[row.grade] = counts.get(row.grade, 0) + 1
    return [
        {
            "grade": g["grade"],
            "label": f"{g['grade']}（{g['label']}）",
            "count": counts.get(g["grade"], 0),
        }
        for g in credit_table()["grades"]
    ]
