"""Retention (L4): nothing is purged before its date or while a legal hold stands; purges are events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from smz.attendance import partitions
from smz.attendance.models import (
    DailyAttendance,
    KeyPostDay,
    PassKey,
    PassRecord,
    SnapshotBlob,
    SnapshotCheck,
)
from smz.attendance.snapshots import snapshot_read
from smz.core.models import Event
from smz.labor import services
from smz.labor.models import ExitSettlement, LaborContract, PaymentLine, Payroll
from smz.labor.services import exits, retention
from smz.registry.models import KeyPost
from smz.testing.attendance import attend as gate_attend
from smz.testing.attendance import gate_for
from smz.testing.devices import jpeg
from smz.testing.errors import refused
from smz.testing.labor import (
    attend,
    contract,
    submitted_october,
    wage_account,
)


@pytest.fixture
def completed(world):
    """p1 with a paid October payroll, an exit and contracts; completed on 2026-12-31."""
    payroll = submitted_october(world)
    services.payroll_review(actor=world.user("gc_labor"), payroll=payroll)
    wage_account(world)
    services.payment_batch_export(actor=world.user("gc_labor"), project=world.projects["p1"])
    s = exits.exit_prepare(
        actor=world.user("sub_labor"),
        employment=world.employments["sub"],
        exit_on=dt.date(2026, 11, 5),
        workload="木模板",
    )
    exits.exit_confirm(actor=world.user("worker"), settlement=s)
    p1 = world.projects["p1"]
    p1.completed_on = dt.date(2026, 12, 31)
    p1.save()
    return world


def readable(name: str) -> bool:
    try:
        return bool(snapshot_read(name))
    except FileNotFoundError:
        return False


def counts():
    return (Payroll.objects.count(), ExitSettlement.objects.count(), LaborContract.objects.count())


def test_r_l4_nothing_without_a_completion_date(world):
    attend(world, "sub", 3)
    contract(world, "sub", rate="280", actor="sub_labor")
    retention.retention_refresh()
    assert retention.retention_purge(today=dt.date(2099, 1, 1)).contracts == 0
    assert LaborContract.objects.count() == 1


def test_r_l4_dates_after_completion(completed):
    retention.retention_refresh()
    payroll = Payroll.objects.get()
    assert payroll.retain_until == dt.date(2029, 10, 31)  # 3 years after the month
    assert ExitSettlement.objects.get().retain_until == dt.date(
        2028, 12, 31
    )  # 2 years after completion
    assert LaborContract.objects.get().retain_until == dt.date(2028, 12, 31)


def test_r_l4_never_early_and_in_order(completed):
    retention.retention_refresh()
    assert retention.retention_purge(today=dt.date(2028, 12, 31)) == retention.PurgeResult(
        0, 0, 0, 0
    )
    assert counts() == (1, 1, 1)
    # 2029-01-01: the exit has expired; the contract stays while the payroll line still points at it.
    assert DailyAttendance.objects.count() == 18
    r = retention.retention_purge(today=dt.date(2029, 1, 1))
    assert (r.payrolls, r.exits, r.contracts) == (0, 1, 0)
    assert r.attendance_projects == 1 and not DailyAttendance.objects.exists()
    assert counts() == (1, 0, 1)
    r = retention.retention_purge(today=dt.date(2029, 11, 1))
    assert (r.payrolls, r.contracts) == (1, 1)
    assert counts() == (0, 0, 0) and not PaymentLine.objects.exists()
    # the exit, the payroll, the contract, and on 2029-01-01 the project's attendance
    assert Event.objects.filter(kind="retention.purged").count() == 4


def test_r_l4_legal_hold_stops_the_purge_until_released(completed):
    retention.retention_refresh()
    with refused("forbidden"):
        retention.legal_hold_place(
            actor=completed.user("town_l1"), project=completed.projects["p1"], reason="x"
        )
    hold = retention.legal_hold_place(
        actor=completed.user("city_admin"),
        project=completed.projects["p1"],
        reason="劳动仲裁案件取证",
    )
    r = retention.retention_purge(today=dt.date(2035, 1, 1))
    assert (r.payrolls, r.exits, r.contracts, r.held) == (0, 0, 0, 3)
    assert counts() == (1, 1, 1)
    retention.legal_hold_release(actor=completed.user("city_admin"), hold=hold)
    assert retention.retention_purge(today=dt.date(2035, 1, 1), dry_run=True).payrolls == 1
    assert counts() == (1, 1, 1)  # a dry run removes nothing
    call_command("labor_retention")  # today (2026): nothing has expired
    assert counts() == (1, 1, 1)


@pytest.fixture(params=["memory", "packs"])
def passes(request, world, settings, tmp_path):
    """Real passes with snapshots: two people on p1 (one snapshot file of p1's own, one whose bytes a p3
    pass also carries), and that p3 pass. Snapshots are kept in memory (a file each), or sealed on disk
    in one pack per batch (issue 17)."""
    backend = (
        {"BACKEND": "django.core.files.storage.InMemoryStorage"}
        if request.param == "memory"
        else {
            "BACKEND": "smz.core.storage.EncryptedFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        }
    )
    settings.STORAGES = {**settings.STORAGES, "default": backend}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    day = timezone.localdate() - dt.timedelta(days=2)
    p1_gate, p3_gate = gate_for(world, "p1", "GATE-P1-R"), gate_for(world, "p3", "GATE-P3-R")
    gate_attend(p1_gate, world.workers["gc"], day, snapshot=jpeg(641, 480))
    gate_attend(p1_gate, world.workers["pm"], day)
    world.employ("p3", "gc")
    gate_attend(p3_gate, world.workers["gc"], day, tag="p3-")
    KeyPostDay.objects.get_or_create(
        key_post=KeyPost.objects.get(project=world.projects["p1"], post="P03"),
        work_date=day,
        defaults={"project": world.projects["p1"]},
    )
    p1 = world.projects["p1"]
    p1.completed_on = dt.date(2027, 3, 31)
    p1.save()
    return world


def test_r_l4_attendance_goes_two_years_after_completion_with_its_snapshots(
    passes, django_capture_on_commit_callbacks
):
    p1, p3 = passes.projects["p1"], passes.projects["p3"]
    own = PassRecord.objects.get(project=p1, worker=passes.workers["gc"], direction="in").snapshot
    shared = PassRecord.objects.get(project=p3, direction="in").snapshot
    assert own != shared and readable(own) and readable(shared)
    packs = set(SnapshotBlob.objects.values_list("pack", flat=True))
    assert PassRecord.objects.filter(project=p1).count() == 4
    assert SnapshotCheck.objects.count() == 6
    key_post_days = KeyPostDay.objects.filter(project=p1).count()
    assert key_post_days >= 1
    on_the_day = retention.retention_purge(today=dt.date(2029, 3, 31))
    assert on_the_day.attendance_projects == 0
    assert PassRecord.objects.filter(project=p1).count() == 4
    assert retention.retention_purge(today=dt.date(2029, 4, 1), dry_run=True).passes == 4
    assert PassRecord.objects.filter(project=p1).count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        r = retention.retention_purge(today=dt.date(2029, 4, 1))
    assert (r.attendance_projects, r.passes) == (1, 4)
    assert not PassRecord.objects.filter(project=p1).exists()
    assert not DailyAttendance.objects.filter(project=p1).exists()
    assert not KeyPostDay.objects.filter(project=p1).exists()
    assert SnapshotCheck.objects.count() == 2  # p3's two passes
    assert not readable(own)
    assert readable(shared)  # p3 still shows it
    if packs:  # p1's own photo's pack went with it; the pack of the photo p3 shows stays
        left = set(SnapshotBlob.objects.values_list("pack", flat=True))
        assert len(packs) == 2 and len(left) == 1
        assert all(default_storage.exists(p) == (p in left) for p in packs)
    assert PassRecord.objects.filter(project=p3).count() == 2  # the rest of the city is untouched
    # the purged passes' record ids are forgotten with them (PassKey is written on PostgreSQL only)
    assert PassKey.objects.count() == (2 if connection.vendor == "postgresql" else 0)
    event = Event.objects.get(kind="retention.purged", data__what="attendance")
    assert (
        event.data["passes"] == 4
        and event.data["days"] == 2
        and event.data["key_post_days"] == key_post_days
    )


def test_r_l4_legal_hold_keeps_attendance(passes):
    retention.legal_hold_place(
        actor=passes.user("city_admin"), project=passes.projects["p1"], reason="工伤认定取证"
    )
    r = retention.retention_purge(today=dt.date(2035, 1, 1))
    assert (r.attendance_projects, r.attendance_held) == (0, 1)
    assert PassRecord.objects.filter(project=passes.projects["p1"]).count() == 4


def test_r_l4_append_only_passes_refuse_ordinary_deletes(passes):
    with pytest.raises(PermissionError):
        PassRecord.objects.filter(project=passes.projects["p1"]).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="monthly partitions: PostgreSQL only")
def test_r_l4_a_month_of_only_expired_projects_goes_as_a_whole_partition(
    passes, django_capture_on_commit_callbacks
):
    """Issue 17 goal 5: p1 and p3 both past retention, their month's partition is detached and dropped;
    the events count the same passes as the per-project deletion would."""
    p3 = passes.projects["p3"]
    p3.completed_on = dt.date(2027, 3, 31)
    p3.save()
    shared = PassRecord.objects.get(project=p3, direction="in").snapshot
    month = PassRecord.objects.values_list("work_date", flat=True).first().replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in its own transaction in production
    with django_capture_on_commit_callbacks(execute=True):
        r = retention.retention_purge(today=dt.date(2029, 4, 1))
    assert (r.attendance_projects, r.passes) == (2, 6)
    assert partitions.partition_name(month) not in {p.name for p in partitions.month_partitions()}
    assert not PassRecord.objects.exists() and not SnapshotCheck.objects.exists()
    assert not DailyAttendance.objects.exists()
    assert not readable(shared) and not SnapshotBlob.objects.exists()
    purged = Event.objects.filter(kind="retention.purged", data__what="attendance")
    assert sorted(e.data["passes"] for e in purged) == [2, 4]
