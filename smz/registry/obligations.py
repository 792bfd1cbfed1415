"""Who must attend when (A3, A5, C1/C3, WF1–WF5): the one place that turns a project's dates into attendance
obligations. Key posts are checked from the planned start + 10 days (notice 四(一)); an approved suspension
rests them until an approved resumption (三(九)/(十)); WF5 ends them — the project manager's post by the
quality center's 质量监督任务完成告知书, every other post (and the labor force) by the safety report or an
approved stop request (三(十二)). Until an approval or notice takes effect, people keep attending.

Key-post (manager) attendance applies by permit date (C1/C3, notice 四(一)/(二)): a project whose 施工许可 was
issued from 2020-02-01 (`MANAGER_ATTENDANCE_PERMITS_FROM`) owes it; one permitted earlier owes labor real-name
only, never key-post attendance. A project with no permit date recorded is treated as a new-regime project (it
was registered on this platform). The boundary date lives here, once: the compliance app's regime data
(`permit_2020.permit_from`) must equal it, which its tests assert.

The lifecycle (registry.lifecycle) and what each state owes (`STATE_OBLIGATIONS`), per day, not per stored status:

- 待开工 pending: key posts from planned start + 10 days, whether or not anyone has come yet (a late start is the
  absence the notice deducts); labor attends from its entry.
- 在建 active (from the actual start: the first day of valid attendance, or the builder's declaration): the same.
- 停工 suspended: from the approved pause's start date to the day before the approved resumption nobody must
  attend; before the pause starts the site still works and key posts are checked.
- 竣工 completed (the quality center's notice): the project manager stops; every other post and the labor force
  keep attending until the safety report or an approved stop request.
- 已结束 closed (the staff stop, WF5): nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import F

from smz.core.bulk import AnyOf
from smz.registry.models import Project, ProjectPause

MANAGER_CHECK_DELAY = dt.timedelta(days=10)
PROJECT_MANAGER_POST = "P01"
# C1/C3: permits issued from this day owe key-post (manager) attendance; earlier ones do not.
MANAGER_ATTENDANCE_PERMITS_FROM = dt.date(2020, 2, 1)

STATE_OBLIGATIONS: dict[str, str] = {
    Project.Status.PENDING: "关键岗位自拟开工日期后第10天起考勤；劳务人员自进场起考勤",
    Project.Status.ACTIVE: "关键岗位自拟开工日期后第10天起考勤；劳务人员自进场起考勤",
    Project.Status.SUSPENDED: "停工开始日至复工前一日无需考勤；停工开始前照常考勤",
    Project.Status.COMPLETED: "项目经理停止考勤；其他关键岗位及劳务人员考勤至安全评定报告或停止考勤审批",
    Project.Status.CLOSED: "全部人员停止考勤",
}


def manager_attendance_applies(permit_issued_on: dt.date | None) -> bool:
    """C1/C3: key-post attendance is owed by projects permitted from 2020-02-01 (or with no permit date)."""
    return permit_issued_on is None or permit_issued_on >= MANAGER_ATTENDANCE_PERMITS_FROM


class Exemption(models.TextChoices):
    OLD_PERMIT = "old_permit", "2020年2月1日前取得施工许可，不考核管理人员考勤"
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
    permit_issued_on: dt.date | None = None

    @property
    def checks_from(self) -> dt.date | None:
        """First day key posts are checked: planned start + 10 days."""
        return self.planned_start + MANAGER_CHECK_DELAY if self.planned_start else None

    def paused_on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.pauses)

    def key_posts_owed(self, day: dt.date) -> bool:
        """Whether any key post must be attended on `day` (the closing job writes such days, absences included)."""
        return any(not key_post_exemption(self, post, day) for post in (PROJECT_MANAGER_POST, ""))


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
        permit_issued_on=project.permit_issued_on,
    )


def project_calendars(project_ids: Iterable[int]) -> dict[int, ProjectCalendar]:
    """Each project's calendar, read in two queries (for the closing job and the lists)."""
    ids = list(project_ids)
    pauses: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for pid, start, end in (
        ProjectPause.objects.filter(AnyOf(F("project"), ids))
        .order_by("start_on")
        .values_list("project", "start_on", "end_on")
    ):
        pauses.setdefault(pid, []).append((start, end))
    # Tuples, not model instances: the city's home page reads 1,000 projects' calendars.
    return {
        pk: ProjectCalendar(
            planned_start=planned_start,
            staff_stop_on=staff_stop_on,
            pm_stop_on=pm_stop_on,
            pauses=tuple(pauses.get(pk, ())),
            permit_issued_on=permit_issued_on,
        )
        for pk, planned_start, staff_stop_on, pm_stop_on, permit_issued_on in Project.objects.filter(
            AnyOf(F("pk"), ids)
        )
        .order_by()
        .values_list(
            "pk",
            "planned_start",
            "staff_attendance_stop_on",
            "pm_attendance_stop_on",
            "permit_issued_on",
        )
    }


def key_post_exemption(calendar: ProjectCalendar, post: str, day: dt.date) -> str:
    """Why a key post need not be attended that day ("" when it must be)."""
    if not manager_attendance_applies(calendar.permit_issued_on):
        return Exemption.OLD_PERMIT
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
