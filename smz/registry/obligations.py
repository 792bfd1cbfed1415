"""Who must attend when (A3, A5, WF1–WF5): the one place that turns a project's dates into attendance
obligations. Key posts are checked from the planned start + 10 days (notice 四(一)); an approved suspension
rests them until an approved resumption (三(九)/(十)); WF5 ends them — the project manager's post by the
quality center's 质量监督任务完成告知书, every other post (and the labor force) by the safety report or an
approved stop request (三(十二)). Until an approval or notice takes effect, people keep attending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models

from smz.registry.models import Project, ProjectPause

MANAGER_CHECK_DELAY = dt.timedelta(days=10)
PROJECT_MANAGER_POST = "P01"


class Exemption(models.TextChoices):
    NO_START = "no_start", "无拟开工日期"
    BEFORE_START = "before_start", "未到考勤起始日（拟开工日期后第10天）"
    PAUSED = "paused", "停工期间"
    STOPPED = "stopped", "已停止考勤"


@dataclass(frozen=True)
class ProjectCalendar:
    """A project's attendance-relevant dates, read once and reused for many days and posts."""

    planned_start: dt.date | None
    staff_stop_on: dt.date | None
    pm_stop_on: dt.date | None
    pauses: tuple[tuple[dt.date, dt.date | None], ...] = field(default_factory=tuple)

    @property
    def checks_from(self) -> dt.date | None:
        """First day key posts are checked: planned start + 10 days."""
        return self.planned_start + MANAGER_CHECK_DELAY if self.planned_start else None

    def paused_on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.pauses)


def project_calendar(project: Project) -> ProjectCalendar:
    pauses = tuple(
        ProjectPause.objects.filter(project=project)
        .order_by("start_on")
        .values_list("start_on", "end_on")
    )
    return ProjectCalendar(
        planned_start=project.planned_start,
        staff_stop_on=project.staff_attendance_stop_on,
        pm_stop_on=project.pm_attendance_stop_on,
        pauses=pauses,
    )


def key_post_exemption(calendar: ProjectCalendar, post: str, day: dt.date) -> str:
    """Why a key post need not be attended that day ("" when it must be)."""
    if calendar.planned_start is None:
        return Exemption.NO_START
    if day < calendar.checks_from:
        return Exemption.BEFORE_START
    stop = calendar.pm_stop_on if post == PROJECT_MANAGER_POST else calendar.staff_stop_on
    if stop is not None and day >= stop:
        return Exemption.STOPPED
    if calendar.paused_on(day):
        return Exemption.PAUSED
    return ""
