"""Issue 13: the closing job closes every project that owes key-post attendance that day (registry.obligations),
whatever its stored status; the first valid attendance day is the actual start."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from smz.attendance.models import KeyPostDay
from smz.registry.models import Project, ProjectPause
from smz.registry.obligations import Exemption

S = Project.Status


def _today() -> dt.date:
    return timezone.localdate()


def _pending(world) -> Project:
    p1 = world.projects["p1"]
    p1.status, p1.actual_start = S.PENDING, None
    p1.save()
    return p1


def test_close_day_follows_obligations_not_the_stored_status(world):
    p1 = _pending(world)  # pending, planned start long past + 10 days: every post absent
    day = _today() - dt.timedelta(days=1)
    out = io.StringIO()
    call_command("attendance_close_day", date=day.isoformat(), stdout=out)
    rows = KeyPostDay.objects.filter(project=p1, work_date=day)
    assert rows.count() == 3 and not rows.filter(attended=True).exists()
    assert set(rows.values_list("exemption", flat=True)) == {""}
    # A suspension approved for a later day: the days before it are still closed.
    ProjectPause.objects.create(project=p1, start_on=_today(), suspension_ref="T-2")
    p1.status = S.SUSPENDED
    p1.save()
    earlier = day - dt.timedelta(days=1)
    call_command("attendance_close_day", date=earlier.isoformat(), stdout=io.StringIO())
    assert KeyPostDay.objects.filter(project=p1, work_date=earlier).count() == 3
    # Completed: the PM stops, the other posts are still closed until the staff stop.
    ProjectPause.objects.all().delete()
    p1.status, p1.pm_attendance_stop_on = S.COMPLETED, earlier - dt.timedelta(days=1)
    p1.save()
    before = earlier - dt.timedelta(days=1)
    call_command("attendance_close_day", date=before.isoformat(), stdout=io.StringIO())
    rows = {r.key_post.post: r.exemption for r in KeyPostDay.objects.filter(work_date=before)}
    assert rows == {"P01": Exemption.STOPPED, "P03": "", "S01": ""}
    # Permitted before 2020-02-01: no key-post day is owed, none is written.
    p1.permit_issued_on = dt.date(2019, 12, 1)
    p1.save()
    gone = before - dt.timedelta(days=1)
    call_command("attendance_close_day", date=gone.isoformat(), stdout=io.StringIO())
    assert not KeyPostDay.objects.filter(work_date=gone).exists()


def test_first_valid_attendance_sets_the_actual_start(world):
    from smz.attendance.models import DailyAttendance
    from smz.attendance.services import actual_starts_record

    p1 = _pending(world)
    first = _today() - dt.timedelta(days=2)
    for d in (first, first + dt.timedelta(days=1)):
        DailyAttendance.objects.create(
            project=p1, worker=world.workers["gc"], work_date=d, attended=True
        )
    assert actual_starts_record() == 1
    p1.refresh_from_db()
    assert p1.actual_start == first and p1.status == S.ACTIVE
    assert actual_starts_record() == 0  # safe to run again
