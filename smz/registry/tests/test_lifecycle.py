"""Issue 13 item 1 and the fact holes: the project lifecycle, the permit-date rule (C1/C3), the closing job that
follows obligations, and merged jurisdictions (东升 → 小榄)."""

from __future__ import annotations

import datetime as dt
from itertools import product

import pytest
from django.utils import timezone

from smz.core.errors import DomainError
from smz.core.models import Event
from smz.registry import scoping
from smz.registry.errors import RegistryErrorCode
from smz.registry.lifecycle import TRANSITIONS, status_derived
from smz.registry.models import Jurisdiction, Project, ProjectPause
from smz.registry.obligations import (
    MANAGER_ATTENDANCE_PERMITS_FROM,
    STATE_OBLIGATIONS,
    Exemption,
    key_post_exemption,
    project_calendar,
)
from smz.registry.project_changes import (
    project_attendance_stop,
    project_completion_record,
    project_start_record,
    project_status_on,
    project_statuses_refresh,
)
from smz.registry.selectors import approving_authority

S = Project.Status


def _today() -> dt.date:
    return timezone.localdate()


def test_every_derived_change_is_a_listed_transition():
    d = dt.date(2025, 6, 1)
    dates = [None, d - dt.timedelta(days=1), d + dt.timedelta(days=1)]
    for stored, start, done, stop, paused in product(S.values, dates, dates, dates, [0, 1]):
        new = status_derived(
            stored=stored,
            actual_start=start,
            completed_on=done,
            staff_stop_on=stop,
            paused=bool(paused),
            day=d,
        )
        assert new == stored or (stored, new) in TRANSITIONS, (stored, new)
    assert not [t for t in TRANSITIONS if t[0] == S.CLOSED]  # closed is final
    assert set(STATE_OBLIGATIONS) == set(S.values)


def _pending(world) -> Project:
    p1 = world.projects["p1"]
    p1.status, p1.actual_start = S.PENDING, None
    p1.save()
    return p1


def test_pending_becomes_active_on_first_attendance_or_declaration(world):
    p1 = _pending(world)
    day = _today() - dt.timedelta(days=3)
    assert project_start_record(actor=None, project=p1, day=day, basis="首个有效考勤日")
    p1.refresh_from_db()
    assert p1.actual_start == day and p1.status == S.ACTIVE
    ev = Event.objects.get(kind="project.status_effective", subject_id=p1.pk)
    assert ev.data["trigger"] == "开工" and ev.data["from"] == S.PENDING
    assert Event.objects.filter(kind="project.started", subject_id=p1.pk).count() == 1
    # A declaration replaces it; attendance never overrides a declaration.
    declared = day + dt.timedelta(days=1)
    assert project_start_record(
        actor=world.user("window_clerk"),
        project=p1,
        day=declared,
        basis="建设单位申报",
        declared=True,
    )
    assert not project_start_record(
        actor=None, project=p1, day=day - dt.timedelta(days=5), basis="考勤"
    )
    p1.refresh_from_db()
    assert p1.actual_start == declared and p1.actual_start_declared
    with pytest.raises(DomainError) as exc:
        project_start_record(
            actor=None, project=p1, day=_today() + dt.timedelta(days=1), basis="x", declared=True
        )
    assert exc.value.code == RegistryErrorCode.PROJECT_START_INVALID


def test_completion_then_staff_stop_close_the_project(world):
    p1 = world.projects["p1"]
    project_completion_record(actor=None, project=p1, completed_on=_today(), basis="告知书")
    p1.refresh_from_db()
    assert p1.status == S.COMPLETED
    stop = _today() + dt.timedelta(days=2)
    project_attendance_stop(actor=None, project=p1, group="staff", stop_on=stop, basis="安全评定")
    p1.refresh_from_db()
    assert p1.status == S.COMPLETED  # staff attend until the stop day
    assert project_statuses_refresh(day=stop) == 1
    p1.refresh_from_db()
    assert p1.status == S.CLOSED
    triggers = list(
        Event.objects.filter(kind="project.status_effective", subject_id=p1.pk)
        .order_by("pk")
        .values_list("data__trigger", flat=True)
    )
    assert triggers == ["竣工（质量监督任务完成告知书）", "停止考勤"]


def test_suspension_counts_from_its_start_not_its_approval(world):
    p1 = world.projects["p1"]
    start = _today() + dt.timedelta(days=4)
    ProjectPause.objects.create(project=p1, start_on=start, suspension_ref="T-1")
    assert project_status_on(p1, start - dt.timedelta(days=1)) == S.ACTIVE
    assert project_status_on(p1, start) == S.SUSPENDED


def test_c1_c3_key_posts_apply_by_permit_date(world):
    p1 = world.projects["p1"]
    day = p1.planned_start + dt.timedelta(days=30)
    p1.permit_issued_on = MANAGER_ATTENDANCE_PERMITS_FROM - dt.timedelta(days=1)  # 2020-01-31
    assert key_post_exemption(project_calendar(p1), "P01", day) == Exemption.OLD_PERMIT
    p1.permit_issued_on = MANAGER_ATTENDANCE_PERMITS_FROM  # 2020-02-01
    assert key_post_exemption(project_calendar(p1), "P01", day) == ""


def test_merged_town_routes_to_its_successor_from_the_merge(world):
    dongsheng = Jurisdiction.objects.get(short_name="东升")
    xiaolan = Jurisdiction.objects.get(short_name="小榄")
    assert dongsheng.successor == xiaolan and dongsheng.valid_to is not None
    assert dongsheng.on(dongsheng.valid_to) == dongsheng
    assert dongsheng.on(dongsheng.valid_to + dt.timedelta(days=1)) == xiaolan
    p2 = world.projects["p2"]
    p2.jurisdiction = dongsheng
    p2.save()
    assert approving_authority(p2).name == "小榄镇住房城乡建设部门"
    assert scoping.projects_for(world.user("town_l1")).filter(pk=p2.pk).exists()
    assert not scoping.projects_for(world.user("neighbour_town")).filter(pk=p2.pk).exists()
