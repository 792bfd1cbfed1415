"""Removing a project's attendance once its retention has run out (L4; N2: snapshots are faces).

How long attendance is kept and what a legal hold stops is decided in smz/labor/retention.py. This module
only knows how to take a project's attendance away cleanly: its pass records with their face checks and
late snapshots, the snapshot files no remaining pass uses, its daily rows (with their monthly summary) and
key-post days. It goes month by month, so no transaction grows with the length of the project's history.

On PostgreSQL the passes are partitioned by month (partitions.py). A month whose every pass belongs to a
project being purged goes whole first (`pass_months_drop`: its dependent rows and keys are deleted, the
partition detached and dropped), which costs a fraction of deleting its rows one by one and leaves no dead
rows to vacuum; the per-project purge then takes what is left (months shared with projects still kept, daily
rows, key-post days). Both paths remove the same things.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError

from smz.attendance.models import (
    DailyAttendance,
    KeyPostDay,
    LaborMonth,
    LateSnapshot,
    MonthlyAttendance,
    PassKey,
    PassRecord,
)
from smz.attendance.partitions import month_partitions, partition_detach_drop
from smz.attendance.snapshots import snapshots_forget


@dataclass(frozen=True)
class AttendanceCounts:
    passes: int = 0
    days: int = 0
    key_post_days: int = 0

    def __bool__(self) -> bool:
        return bool(self.passes or self.days or self.key_post_days)


def _tables(project_id: int):
    return (
        PassRecord.objects.filter(project=project_id),
        DailyAttendance.objects.filter(project=project_id),
        KeyPostDay.objects.filter(project=project_id),
    )


def project_attendance_counts(project_id: int) -> AttendanceCounts:
    passes, days, posts = _tables(project_id)
    return AttendanceCounts(passes.count(), days.count(), posts.count())


def project_attendance_purge(project_id: int) -> AttendanceCounts:
    """Delete all of a project's attendance; the snapshot files go after each month's commit."""
    months: set[dt.date] = set()
    for table in _tables(project_id):
        months.update(table.dates("work_date", "month"))
    removed = AttendanceCounts()
    for month in sorted(months):
        after = (month + dt.timedelta(days=31)).replace(day=1)
        passes, days, posts = (
            table.filter(work_date__gte=month, work_date__lt=after) for table in _tables(project_id)
        )
        with transaction.atomic():
            names = _snapshot_names(passes)
            _pass_keys_delete(
                "p.project_id = %s AND p.work_date >= %s AND p.work_date < %s",
                [project_id, month, after],
            )
            _, by_model = passes.retention_delete()
            n_passes = by_model.get(PassRecord._meta.label, 0)
            n_days, _ = days.delete()
            # the month's summary rows: at 0 once its daily rows are gone (triggers, monthly.py)
            MonthlyAttendance.objects.filter(project=project_id, month=month).delete()
            LaborMonth.objects.filter(project=project_id, month=month).delete()
            n_posts, _ = posts.delete()
            _snapshot_files_forget(names)
        removed = AttendanceCounts(
            removed.passes + n_passes, removed.days + n_days, removed.key_post_days + n_posts
        )
    return removed


def _snapshot_names(passes: models.QuerySet) -> set[str]:
    """The snapshot files these passes show, sent with them or attached later."""
    names = set(passes.exclude(snapshot="").values_list("snapshot", flat=True))
    names |= set(
        LateSnapshot.objects.filter(pass_record__in=passes.values("pk")).values_list(
            "snapshot", flat=True
        )
    )
    return names


def _snapshot_files_forget(names: set[str]) -> None:
    """Forget the snapshots of `names` no remaining pass shows (snapshots are content-addressed: one another
    pass still shows stays): their pack entries now, their files and emptied packs once the transaction
    commits (snapshots.snapshots_forget)."""
    still = set(PassRecord.objects.filter(snapshot__in=names).values_list("snapshot", flat=True))
    still |= set(LateSnapshot.objects.filter(snapshot__in=names).values_list("snapshot", flat=True))
    snapshots_forget(names - still)


def _pass_keys_delete(where: str, params: list) -> None:
    """Forget the record ids (PassKey, PostgreSQL only) of the passes `where` selects (alias p)."""
    if connection.vendor != "postgresql":
        return  # PassKey is not written on SQLite
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {PassKey._meta.db_table} k USING {PassRecord._meta.db_table} p"  # noqa: S608
            f" WHERE {where} AND k.device_id = p.device_id AND k.device_record_id = p.device_record_id",
            params,
        )


def pass_months_drop(*, project_ids: set[int], today: dt.date) -> dict[int, int]:
    """Drop every past month partition of passes (PostgreSQL) whose passes all belong to `project_ids`
    (projects whose attendance retention has run out, none under a legal hold), with the rows that point at
    those passes and their record keys; a month where a pass's dependent row is protected (a contest, a
    reviewed identity check) is left to the per-project purge. Returns the passes removed per project."""
    removed: dict[int, int] = {}
    for partition in month_partitions():
        if partition.after > today.replace(day=1):
            break  # this month and later: still being written
        with transaction.atomic():
            table = partition.name
            with connection.cursor() as cursor:
                # No pass lands in the month while it is judged (an old device's backlog waits, then
                # goes to the default partition once this one is gone).
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
                cursor.execute(f"SELECT project_id, count(*) FROM {table} GROUP BY project_id")  # noqa: S608
                counts = dict(cursor.fetchall())
            if not counts or not set(counts) <= project_ids:
                continue
            passes = PassRecord.objects.filter(
                work_date__gte=partition.first, work_date__lt=partition.after
            )
            names = _snapshot_names(passes)  # late snapshots' too, before their rows go
            if not _dependents_delete(passes):
                continue
            _pass_keys_delete(
                "p.work_date >= %s AND p.work_date < %s", [partition.first, partition.after]
            )
            partition_detach_drop(partition)
            _snapshot_files_forget(names)
        for project_id, n in counts.items():
            removed[project_id] = removed.get(project_id, 0) + n
    return removed


def _dependents_delete(passes: models.QuerySet) -> bool:
    """Delete the rows that point at these passes as Django's deletion would (their own cascades included;
    the database holds no foreign key to a partitioned table). False, with nothing deleted, when a
    dependent row is protected."""
    ids = passes.values("pk")
    collector = Collector(using=passes.db)
    for relation in PassRecord._meta.related_objects:
        dependents = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": ids}
        )
        if relation.on_delete is not models.CASCADE:
            if dependents.exists():
                return False
            continue
        try:
            collector.collect(dependents)
        except (ProtectedError, RestrictedError):
            return False
    collector.delete()
    return True
