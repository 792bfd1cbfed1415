"""Removing a project's attendance once its retention has run out (L4; N2: snapshots are faces).

How long attendance is kept and what a legal hold stops is decided in smz/labor/retention.py. This module
only knows how to take a project's attendance away cleanly: its pass records with their face checks and
late snapshots, the snapshot files no remaining pass uses, its daily rows and key-post days. It goes month by
month, so no transaction grows with the length of the project's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from smz.attendance.models import DailyAttendance, KeyPostDay, LateSnapshot, PassRecord
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
            names = set(passes.exclude(snapshot="").values_list("snapshot", flat=True))
            names |= set(
                LateSnapshot.objects.filter(pass_record__in=passes).values_list(
                    "snapshot", flat=True
                )
            )
            _, by_model = passes.retention_delete()
            n_passes = by_model.get(PassRecord._meta.label, 0)
            n_days, _ = days.delete()
            n_posts, _ = posts.delete()
            # Snapshots are content-addressed: a file another pass still shows stays.
            still = set(
                PassRecord.objects.filter(snapshot__in=names).values_list("snapshot", flat=True)
            )
            still |= set(
                LateSnapshot.objects.filter(snapshot__in=names).values_list("snapshot", flat=True)
            )
            snapshots_forget(names - still)
        removed = AttendanceCounts(
            removed.passes + n_passes, removed.days + n_days, removed.key_post_days + n_posts
        )
    return removed
