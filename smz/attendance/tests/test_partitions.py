"""Pass records in monthly partitions on PostgreSQL (issue 17 goal 5): partitions made ahead and idempotently,
rows in their month, record ids unique across months (PassKey), whole months dropped by retention, and the
migration converting a table that holds rows. The duplicate/conflict answers run on SQLite too."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from smz.attendance import ingest, partitions
from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import LateSnapshot, PassKey, PassRecord, SnapshotCheck
from smz.attendance.retention import pass_months_drop
from smz.attendance.tasks import partitions_ensure_task
from smz.core.tests.races import race
from smz.devices.models import Device
from smz.testing.attendance import at, attend, gate_for, today

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="monthly partitions: PostgreSQL only"
)
MIGRATION = importlib.import_module("smz.attendance.migrations.0012_pass_partitions")


def _gate(world, project: str) -> Device:
    """A gate registered two months back, so last month's passes are not too old for it."""
    gate = gate_for(world, project, f"GATE-{project}-PART")
    Device.objects.filter(pk=gate.pk).update(created_at=at(today(), 0) - dt.timedelta(days=62))
    gate.refresh_from_db()
    return gate


@pytest.fixture
def p1_gate(world):
    return _gate(world, "p1")


def _boundary() -> tuple[dt.date, dt.date]:
    """The last day of last month and the first of this one."""
    first = today().replace(day=1)
    return first - dt.timedelta(days=1), first


def _where(record_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM attendance_passrecord WHERE device_record_id = %s",
            [record_id],
        )
        return cursor.fetchone()[0]


def _ingest(gate, *records: RawPass) -> list[str]:
    later = max(r.event_time for r in records) + dt.timedelta(minutes=1)
    answers = pass_records_ingest(device=gate, records=list(records), now=later)
    return [a["status"] for a in answers]


def test_n5_a_record_id_stays_unique_across_a_month_boundary(world, p1_gate):
    """A retry is a duplicate; the same id with another content, even on a day of another month (another
    partition on PostgreSQL), is a conflict and not stored: PassKey holds the id across partitions."""
    last, first = _boundary()
    gc = world.workers["gc"]
    before = RawPass("m-1", gc.pk, at(last, 23, 30), "in", "face", 90)
    other = RawPass("m-2", gc.pk, at(last, 23, 40), "in")
    assert _ingest(p1_gate, before, other) == [
        "accepted",
        "accepted",
    ]
    assert _ingest(p1_gate, before) == ["duplicate"]
    moved = RawPass("m-1", gc.pk, at(first, 0, 30), "in", "face", 90)
    # alone (the COPY path fails on PassKey) and in a batch with a new record (the fallback path)
    assert _ingest(p1_gate, moved) == ["conflict"]
    new = RawPass("m-3", gc.pk, at(first, 0, 40), "out")
    assert _ingest(p1_gate, moved, new, other) == ["conflict", "accepted", "duplicate"]
    stored = dict(PassRecord.objects.values_list("device_record_id", "work_date"))
    assert stored == {"m-1": last, "m-2": last, "m-3": first}


@postgres_only
def test_n5_partitions_are_made_ahead_once(db):
    far = today() + dt.timedelta(days=400)
    month = far.replace(day=1)
    created = partitions.partitions_ensure(today=far, ahead=2)
    names = [partitions.partition_name(m) for m in _months(month, 3)]
    assert created == names
    assert partitions.partitions_ensure(today=far, ahead=2) == []  # idempotent
    bounds = {p.name: (p.first, p.after) for p in partitions.month_partitions()}
    assert bounds[names[0]] == (month, partitions.month_after(month))
    out = io.StringIO()
    # this month and 3 more exist since the database was migrated (this month)
    call_command("partitions_ensure", ahead=3, stdout=out)
    assert out.getvalue().startswith("0 partitions created")
    assert partitions_ensure_task.call(ahead=3) == []


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's plain table")
def test_n5_sqlite_has_no_partitions_to_make(db):
    out = io.StringIO()
    call_command("partitions_ensure", stdout=out)
    assert "not partitioned" in out.getvalue()
    assert partitions.partitions_ensure() == [] and partitions.month_partitions() == []


def _months(first: dt.date, n: int) -> list[dt.date]:
    months = [first]
    while len(months) < n:
        months.append(partitions.month_after(months[-1]))
    return months


@postgres_only
def test_n5_rows_land_in_their_month_and_a_default_row_moves_to_its_new_month(world, p1_gate):
    last, first = _boundary()
    gc = world.workers["gc"]
    _ingest(
        p1_gate,
        RawPass("d-1", gc.pk, at(last, 9), "in"),
        RawPass("d-2", gc.pk, at(first, 0, 30), "in"),
    )
    assert _where("d-2") == partitions.partition_name(first)
    had_last_month = partitions.partition_name(last) in {
        p.name for p in partitions.month_partitions()
    }
    if not had_last_month:  # the test database was migrated this month: last month is not made
        assert _where("d-1") == partitions.default_name()
        assert partitions.partitions_ensure() == [partitions.partition_name(last)]
    assert _where("d-1") == partitions.partition_name(last)
    assert PassRecord.objects.count() == PassKey.objects.count() == 2
    assert _ingest(p1_gate, RawPass("d-1", gc.pk, at(last, 9), "in")) == ["duplicate"]


@postgres_only
def test_n5_retention_drops_a_month_only_when_all_its_passes_go(world, p1_gate, private_dir):
    last, first = _boundary()
    partitions.partitions_ensure(months=[last])
    gc, pm = world.workers["gc"], world.workers["pm"]
    attend(p1_gate, gc, last)
    attend(p1_gate, pm, last)
    world.employ("p3", "gc")
    _ingest(p1_gate, RawPass("p1-1", pm.pk, at(first, 0, 20), "in"))
    _ingest(_gate(world, "p3"), RawPass("p3-1", gc.pk, at(first, 0, 30), "in"))
    p1, p3 = world.projects["p1"].pk, world.projects["p3"].pk
    LateSnapshot.objects.create(
        pass_record=PassRecord.objects.get(device_record_id="p3-1"),
        snapshot="snap/x.jpg",
        snapshot_width=640,
        snapshot_height=480,
    )
    assert SnapshotCheck.objects.count() == 4
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in its own transaction in production
    later = partitions.month_after(first)
    # Last month holds p1's passes only: it goes whole. This month also holds a p3 pass: it stays.
    assert pass_months_drop(project_ids={p1}, today=later) == {p1: 4}
    names = {p.name for p in partitions.month_partitions()}
    assert partitions.partition_name(last) not in names
    assert partitions.partition_name(first) in names
    assert set(PassRecord.objects.values_list("work_date", flat=True)) == {first}
    assert not SnapshotCheck.objects.exists()  # the dropped passes' face checks went with them
    assert PassKey.objects.count() == PassRecord.objects.count() == 2
    # Both projects past retention: this month goes too, with the late snapshot pointing at p3's pass.
    assert pass_months_drop(project_ids={p1, p3}, today=partitions.month_after(later)) == {
        p1: 1,
        p3: 1,
    }
    assert not PassRecord.objects.exists() and not PassKey.objects.exists()
    assert not LateSnapshot.objects.exists()


@postgres_only
def test_n5_the_migration_converts_a_table_that_holds_rows(world, p1_gate):
    """The migration's PostgreSQL step on a plain table with passes (its reverse makes one): every row
    kept in its month, the keys, indexes and sequence made again, a foreign key to passes dropped."""
    last, first = _boundary()
    gc = world.workers["gc"]
    _ingest(
        p1_gate,
        RawPass("v-1", gc.pk, at(last, 9), "in"),
        RawPass("v-2", gc.pk, at(first, 0, 30), "in"),
    )
    ids = dict(PassRecord.objects.values_list("device_record_id", "pk"))
    editor = SimpleNamespace(connection=connection)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        MIGRATION.unpartition_passes(apps, editor)
        assert not partitions.is_partitioned()
        cursor.execute(
            "ALTER TABLE attendance_snapshotcheck ADD CONSTRAINT t_pass_fk"
            " FOREIGN KEY (pass_record_id) REFERENCES attendance_passrecord (id)"
        )
        cursor.execute("DELETE FROM attendance_passkey")  # the migration creates it empty
        MIGRATION.partition_passes(apps, editor)
        assert partitions.is_partitioned()
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE confrelid = 'attendance_passrecord'::regclass"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'attendance_passrecord'::regclass AND contype IN ('p', 'u')"
        )
        keys = sorted(row[0] for row in cursor.fetchall())
    assert keys == [
        "PRIMARY KEY (id, work_date)",
        "UNIQUE (device_id, device_record_id, work_date)",
    ]
    assert dict(PassRecord.objects.values_list("device_record_id", "pk")) == ids
    assert _where("v-1") == partitions.partition_name(last)  # its month was made for it
    assert _where("v-2") == partitions.partition_name(first)
    assert PassKey.objects.count() == 2
    # The sequence goes on after the copied ids; the ids are still unique across months.
    assert _ingest(p1_gate, RawPass("v-3", gc.pk, at(first, 1), "in")) == ["accepted"]
    assert PassRecord.objects.get(device_record_id="v-3").pk > max(ids.values())
    assert _ingest(p1_gate, RawPass("v-1", gc.pk, at(first, 2), "in")) == ["conflict"]


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_a_retry", [False, True], ids=["copy", "fallback"])
def test_n5_two_uploads_of_one_id_on_different_days_store_it_once(world, with_a_retry):
    """Two devices' worth of concurrency on one id: the second upload (the same id on another day, so
    another partition) waits on the first's PassKey row, then is answered `conflict` from what the first
    stored. With a retry first in its batch the second takes the fallback path: its key insert waits, finds
    the key taken, and the record is looked up again."""
    gate = _gate(world, "p1")
    last, first = _boundary()
    gc = world.workers["gc"]
    if with_a_retry:
        _ingest(gate, RawPass("r-0", gc.pk, at(last, 8), "in"))
    a = [RawPass("r-1", gc.pk, at(last, 9), "in")]
    # The retry first: its COPY fails at once, and r-1's key is then inserted by the fallback.
    b = [RawPass("r-0", gc.pk, at(last, 8), "in")] if with_a_retry else []
    b += [RawPass("r-1", gc.pk, at(first, 0, 30), "in")]
    outcomes = race(
        first=lambda: _ingest(gate, *a),
        second=lambda: _ingest(gate, *b),
        hold_after=(ingest, "_passes_insert"),
    )
    assert [o.error for o in outcomes] == [None, None]
    assert outcomes[0].value == ["accepted"]
    assert outcomes[1].value == (["duplicate", "conflict"] if with_a_retry else ["conflict"])
    assert list(
        PassRecord.objects.filter(device_record_id="r-1").values_list("work_date", flat=True)
    ) == [last]
