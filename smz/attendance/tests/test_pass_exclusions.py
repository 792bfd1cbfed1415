"""What attendance offers the apps above it for face identity (issue 15) without importing them: the signal that
passes were stored (sent only once they are committed), and the pass exclusion readers a key-post day obeys."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord
from smz.attendance.services import attendance_recompute
from smz.attendance.signals import passes_stored
from smz.attendance.tasks import recompute_days
from smz.testing.attendance import at, attend, gate_for, today

RECOMPUTE = recompute_days.module_path


@pytest.fixture
def gate(world):
    return gate_for(world, "p1", "GATE-P1-A")


@pytest.fixture
def heard():
    got = []

    def listener(**kwargs):
        got.append((kwargs["project_id"], kwargs["keys"]))

    passes_stored.connect(listener, dispatch_uid="test.passes_stored")
    yield got
    passes_stored.disconnect(dispatch_uid="test.passes_stored")


def _run_recomputes() -> None:
    """What the db_worker does with the queued roll-ups (then the rows are gone)."""
    rows = list(DBTaskResult.objects.filter(task_path=RECOMPUTE).order_by("enqueued_at"))
    for row in rows:
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).delete()


def test_stored_passes_are_announced_after_commit_by_their_roll_up_only(
    world, gate, heard, django_capture_on_commit_callbacks
):
    """Announced by the roll-up task the batch queued (the upload itself commits once, issue 17 goal 2)."""
    pm = world.workers["pm"]
    raw = RawPass("r1", pm.pk, at(today(), 7, 50), "in", "face", 95, None)
    with django_capture_on_commit_callbacks(execute=True):
        pass_records_ingest(device=gate, records=[raw])
    assert heard == []  # committed, not rolled up yet
    with django_capture_on_commit_callbacks(execute=True):
        _run_recomputes()
    assert heard == [(gate.project_id, f"{pm.pk}:{today().isoformat()}")]
    # a replay stores nothing and queues nothing; a rolled-back batch neither
    with django_capture_on_commit_callbacks(execute=True):
        pass_records_ingest(device=gate, records=[raw])
    raw2 = RawPass("r2", pm.pk, at(today(), 8, 0), "in", "face", 95, None)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        pass_records_ingest(device=gate, records=[raw2])
        raise RuntimeError("crash before commit")
    assert not DBTaskResult.objects.filter(task_path=RECOMPUTE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _run_recomputes()
    assert len(heard) == 1


def test_a_key_post_day_whose_counted_passes_are_all_excluded_is_not_attended(
    world, gate, exclusions
):
    pm = world.workers["pm"]
    attend(gate, pm, today())
    row = KeyPostDay.objects.get(key_post__holder=pm, work_date=today())
    assert row.attended and row.absence_reason == ""
    ids = list(PassRecord.objects.filter(worker=pm).order_by("pk").values_list("pk", flat=True))
    exclusions.add(ids[0])  # one of two: still attended
    attendance_recompute(project_id=gate.project_id, keys=[(pm.pk, today())])
    row.refresh_from_db()
    assert row.attended
    exclusions.add(ids[1])  # both: not attended, with the reason
    attendance_recompute(project_id=gate.project_id, keys=[(pm.pk, today())])
    row.refresh_from_db()
    assert not row.attended and row.absence_reason == "not_same_person"
    daily = DailyAttendance.objects.get(worker=pm, work_date=today())
    assert daily.attended and "not_same_person" in daily.anomalies
    exclusions.clear()  # a reader that changes its mind (e.g. a review) is obeyed on the next recompute
    attendance_recompute(project_id=gate.project_id, keys=[(pm.pk, today())])
    row.refresh_from_db()
    assert row.attended and row.absence_reason == ""
