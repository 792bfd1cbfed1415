"""月度出勤汇总 (MonthlyAttendance, LaborMonth; issue 17 goal 4): the triggers keep them equal to a recount of
the daily rows and the employments, whichever way those are written, and exact when two roll-ups of the same
person's month run at once."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import connection

from smz.attendance import services
from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import DailyAttendance, LaborMonth, MonthlyAttendance
from smz.attendance.monthly import monthly_fill
from smz.attendance.retention import project_attendance_purge
from smz.attendance.services import attendance_recompute
from smz.core.tests.races import postgres_only, race
from smz.registry.models import Employment
from smz.testing.attendance import at, gate_for, today
from smz.testing.devices import jpeg
from smz.testing.monthly import consistent, labor, recount, summary

OCT = dt.date(2026, 10, 1)


def test_every_way_of_writing_daily_rows_keeps_the_summary(world):
    rng = random.Random(5)
    e = [world.employments[k] for k in ("gc", "sub", "neighbour")]
    days = [OCT + dt.timedelta(days=n) for n in range(-5, 40)]  # September to November
    # ORM inserts: one by one and in bulk (with conflicts ignored)
    for day in days[:10]:
        DailyAttendance.objects.create(
            project=e[0].project, worker=e[0].worker, work_date=day, attended=day.day % 3 > 0
        )
    rows = [
        DailyAttendance(
            project=x.project, worker=x.worker, work_date=d, attended=rng.random() < 0.7
        )
        for x in e
        for d in days
    ]
    DailyAttendance.objects.bulk_create(rows, ignore_conflicts=True)
    assert consistent() and len(recount()) >= 6
    # updates: a queryset's, one row's save, a change of day across a month's end
    DailyAttendance.objects.filter(work_date__in=days[::4]).update(attended=True)
    DailyAttendance.objects.filter(work_date__in=days[1::5]).update(attended=False)
    row = DailyAttendance.objects.filter(attended=False).first()
    assert row is not None
    row.attended = True
    row.save()
    moved = DailyAttendance.objects.filter(work_date=OCT + dt.timedelta(days=30), attended=True)
    moved.filter(worker=e[1].worker).update(work_date=OCT + dt.timedelta(days=45))
    assert consistent()
    # employments: a second, later labor employment with another firm; a role changed; one deleted
    again = Employment.objects.create(
        project=e[0].project,
        worker=e[0].worker,
        employer=world.enterprises["builder"],
        work_type="010",
        work_role=Employment.Role.WORKER,
        entry_on=OCT,
        status=Employment.Status.EXITED,
        exit_on=OCT,
    )
    assert consistent()
    assert labor().get((e[0].project_id, OCT, world.enterprises["builder"].pk))
    Employment.objects.filter(pk=e[1].pk).update(work_role=Employment.Role.MANAGER)
    assert consistent()
    again.delete()
    Employment.objects.filter(pk=e[1].pk).update(work_role=Employment.Role.WORKER)
    assert consistent()
    # deletes: one row, a queryset
    DailyAttendance.objects.filter(attended=True).first().delete()
    DailyAttendance.objects.filter(work_date__in=days[2::3], worker=e[2].worker).delete()
    assert consistent()
    # the back-fill (seed_scale's) gives the same summary
    before = summary()
    assert monthly_fill() == len(recount())
    assert summary() == before and consistent()
    # retention takes a project's attendance away, summary rows with it
    p = e[2].project_id
    project_attendance_purge(p)
    assert not MonthlyAttendance.objects.filter(project=p).exists()
    assert not LaborMonth.objects.filter(project=p).exists()
    assert consistent()


def test_the_rollup_keeps_the_summary(world):
    gate = gate_for(world, "p1", "GATE-MONTHLY")
    snap = jpeg()
    people = [world.workers[k] for k in ("gc", "sub")]
    # devices take passes up to 30 days before their registration (today): recent days, two months or one
    days = [today() - dt.timedelta(days=n) for n in (1, 2, 20)]
    for worker in people:
        records = [
            RawPass(f"{worker.pk}-{d}-{io}", worker.pk, at(d, hh), io, "face", 95, snap)
            for d in days
            for hh, io in ((8, "in"), (17, "out"))
        ]
        pass_records_ingest(device=gate, records=records)
    keys = [(w.pk, d) for w in people for d in days]
    attendance_recompute(project_id=gate.project_id, keys=keys)
    attendance_recompute(project_id=gate.project_id, keys=keys)  # again: rows updated, no change
    expected = Counter((gate.project_id, w.pk, d.replace(day=1)) for w in people for d in days)
    assert consistent() and {k: n for k, (n, _) in summary().items()} == dict(expected)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_rollups_of_one_persons_month_at_once_both_count(world):
    """Two batches of the same person, two days of one month, rolled up at once (two task workers): the
    second waits for the first's summary row and adds its day to it; a recount in each transaction would
    have left the month at 1 day (the second cannot see the first's uncommitted daily row)."""
    gate = gate_for(world, "p1", "GATE-RACE")
    worker = world.workers["sub"]
    snap = jpeg()
    back = 1 if today().day > 2 else 5  # two days of one month, within the gate's 30 days
    one, two = (today() - dt.timedelta(days=back + n) for n in (0, 1))
    pass_records_ingest(
        device=gate,
        records=[
            RawPass(f"race-{d}-{io}", worker.pk, at(d, hh), io, "face", 95, snap)
            for d in (one, two)
            for hh, io in ((8, "in"), (17, "out"))
        ],
    )
    first, second = race(
        first=lambda: attendance_recompute(project_id=gate.project_id, keys=[(worker.pk, one)]),
        second=lambda: attendance_recompute(project_id=gate.project_id, keys=[(worker.pk, two)]),
        hold_after=(services, "_daily_write"),
    )
    assert first.error is None and second.error is None
    assert connection.vendor == "postgresql"
    assert consistent()
    assert {k: n for k, (n, _) in summary().items()} == {
        (gate.project_id, worker.pk, one.replace(day=1)): 2
    }
