"""Test helpers for the judgements (issue 13 items 4–6): violations made directly (the daily run is another
module's), and deductions walked through their review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from smz.compliance.models import Deduction, DeductionRuleVersion, Violation
from smz.compliance.services import rule_table_load


def violation(
    world: Any,
    *,
    day: dt.date,
    project: str = "p1",
    enterprise: str = "gc",
    rule: str = "C-KP-ABSENT",
    subject: str = "post:P03",
    points: str | None = None,
    evidence: dict[str, Any] | None = None,
    counted: bool = True,
) -> Violation:
    """A violation as the daily run would write it (the shipped table is loaded if needed)."""
    version = DeductionRuleVersion.objects.filter(rule__code=rule).order_by("-number").first()
    if version is None:
        rule_table_load()
        version = DeductionRuleVersion.objects.filter(rule__code=rule).order_by("-number").first()
    assert version is not None
    return Violation.objects.create(
        project=world.projects[project],
        day=day,
        rule=version.rule,
        rule_version=version,
        subject=subject,
        responsible=version.responsible,
        enterprise=world.enterprises[enterprise],
        points=Decimal(points) if points is not None else version.points,
        counted=counted,
        not_counted_reason="" if counted else "试运行期",
        evidence=evidence
        if evidence is not None
        else {"key_post_day": [1], "text": "项目负责人当日无有效考勤"},
    )


def confirmed(world: Any, v: Violation, *, l1: str = "town_l1", l2: str = "town_l2") -> Deduction:
    """The deduction of `v`, proposed, reviewed and confirmed by the town's two approvers."""
    from smz.compliance.services.review import deduction_act, deductions_propose

    deductions_propose(v.day, v.day)
    d = Deduction.objects.get(violation=v)
    d = deduction_act(actor=world.user(l1), deduction=d, action="review", note="属实")
    return deduction_act(actor=world.user(l2), deduction=d, action="confirm")
