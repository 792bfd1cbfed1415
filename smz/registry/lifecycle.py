"""A project's lifecycle as one state machine (WF1–WF5; issue 13 item 1):

    pending ──开工──▶ active ──停工生效──▶ suspended ──复工生效──▶ active
       │                │                   │
       └────────────────┴───────竣工────────┴──▶ completed ──停止考勤──▶ closed

The status a project has on a day is derived from its dated facts, never set by hand: the actual start
(`actual_start`: the first day of valid attendance, or the builder's declaration), the approved pauses
(`ProjectPause`, from their start date to the day before the resumption), the quality center's completion
notice (`completed_on`) and the staff stop (`staff_attendance_stop_on`, WF5). `TRANSITIONS` lists every change
the derivation may make, each with the trigger its event names; `project_changes` stores a change and writes the
event (`project.status_effective`). What each state owes (who must attend when) is in `registry.obligations`.
"""

from __future__ import annotations

import datetime as dt

from smz.registry.models import Project

S = Project.Status

# (from, to) → the trigger written in the transition's event. Nothing else may happen: closed is final.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PENDING, S.ACTIVE): "开工",
    (S.PENDING, S.SUSPENDED): "停工生效",
    (S.ACTIVE, S.SUSPENDED): "停工生效",
    (S.SUSPENDED, S.ACTIVE): "复工生效",
    (S.PENDING, S.COMPLETED): "竣工（质量监督任务完成告知书）",
    (S.ACTIVE, S.COMPLETED): "竣工（质量监督任务完成告知书）",
    (S.SUSPENDED, S.COMPLETED): "竣工（质量监督任务完成告知书）",
    (S.PENDING, S.CLOSED): "停止考勤",
    (S.ACTIVE, S.CLOSED): "停止考勤",
    (S.SUSPENDED, S.CLOSED): "停止考勤",
    (S.COMPLETED, S.CLOSED): "停止考勤",
}


def transition_trigger(old: str, new: str) -> str | None:
    """The trigger of a permitted change (None when the machine does not allow it)."""
    return TRANSITIONS.get((old, new))


def status_derived(
    *,
    stored: str,
    actual_start: dt.date | None,
    completed_on: dt.date | None,
    staff_stop_on: dt.date | None,
    paused: bool,
    day: dt.date,
) -> str:
    """The status the facts give on `day`. The machine only moves forward: a project once started stays
    started (so one recorded as active before the lifecycle existed, with no actual start, counts as started,
    and a suspended one resumes as active), and completed and closed are never left."""
    if stored == S.CLOSED or (staff_stop_on is not None and day >= staff_stop_on):
        return S.CLOSED
    if stored == S.COMPLETED or (completed_on is not None and day >= completed_on):
        return S.COMPLETED
    if paused:
        return S.SUSPENDED
    started = stored in {S.ACTIVE, S.SUSPENDED} or (
        actual_start is not None and actual_start <= day
    )
    return S.ACTIVE if started else S.PENDING
