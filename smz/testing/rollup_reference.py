"""The attendance roll-up as it was before it went set-based (issue 17 goal 3): row by row, several queries per
person-day and per key post per day. Kept only to compare against (smz/attendance/tests/test_rollup_sets.py):
same inputs, same DailyAttendance and KeyPostDay rows. Never called by the application.

Copied from smz/attendance/services.py at 2dbf2b1, with its names prefixed `reference_`; the selectors and
validity rules it reads are the application's own (they did not change).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q

from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord, SnapshotCheck
from smz.attendance.selectors import key_post_holder_on
from smz.attendance.services import actual_starts_record
from smz.attendance.snapshots import snapshot_read
from smz.attendance.validity import (
    VALIDITY_FIELDS,
    pass_invalid_reason,
    passes_excluded,
    with_validity,
)
from smz.core import faces
from smz.registry.models import KeyPost, KeyPostHolding, Project
from smz.registry.obligations import key_post_exemption, project_calendar

log = logging.getLogger(__name__)


def _faces_in_file(pass_id: int, name: str) -> int:
    try:
        return faces.faces_in_jpeg(snapshot_read(name))
    except FileNotFoundError:
        log.warning("snapshot file missing for pass %s", pass_id)
        return 0


def reference_snapshot_checks_run(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> int:
    done = 0
    known: dict[str, int] = {}
    for worker_id, day in keys:
        pending = PassRecord.objects.filter(
            project=project_id, worker=worker_id, work_date=day, snapshot_check__isnull=True
        ).filter(~Q(snapshot="") | Q(late_snapshot__isnull=False))
        for pk, name, late in pending.values_list("pk", "snapshot", "late_snapshot__snapshot"):
            name = name or late
            count = known.get(name)
            if count is None:
                count = _faces_in_file(pk, name)
                known[name] = count
            try:
                with transaction.atomic():
                    SnapshotCheck.objects.create(
                        pass_record_id=pk, faces=count, detector=faces.DETECTOR
                    )
            except IntegrityError:
                continue
            done += 1
    return done


def reference_daily_attendance_recompute(
    *, project_id: int, worker_id: int, day: dt.date
) -> DailyAttendance:
    passes = list(
        with_validity(
            PassRecord.objects.filter(project=project_id, worker=worker_id, work_date=day)
        )
        .order_by("event_time", "pk")
        .values("pk", "event_time", "direction", *VALIDITY_FIELDS)
    )
    for p in passes:
        p["reason"] = pass_invalid_reason(p)
    valid = [p for p in passes if not p["reason"]]
    excluded = passes_excluded(p["pk"] for p in valid)
    invalid = [p for p in passes if p["reason"]]
    ins = [p["event_time"] for p in valid if p["direction"] in ("in", "")]
    outs = [p["event_time"] for p in valid if p["direction"] in ("out", "")]
    first_in = min(ins) if ins else None
    last_out = max(outs) if outs else None
    if first_in and last_out and last_out <= first_in:
        last_out = None
    minutes = int((last_out - first_in).total_seconds() // 60) if first_in and last_out else 0
    anomalies = []
    if invalid and not valid:
        anomalies.append("only_invalid_passes")
    if first_in and not last_out:
        anomalies.append("no_exit")
    if any(p["off_site"] for p in passes):
        anomalies.append("off_site")
    if any(p["reason"] == "no_face" for p in passes):
        anomalies.append("no_face")
    if excluded:
        anomalies.append("not_same_person")
    with transaction.atomic():
        row, _ = DailyAttendance.objects.update_or_create(
            project_id=project_id,
            worker_id=worker_id,
            work_date=day,
            defaults={
                "first_in": first_in,
                "last_out": last_out,
                "minutes": minutes,
                "valid_passes": len(valid),
                "invalid_passes": len(invalid),
                "attended": bool(valid),
                "anomalies": sorted(set(anomalies)),
            },
        )
    return row


def _holder_passes_excluded(project_id: int, worker_id: int | None, day: dt.date) -> str:
    rows = (
        with_validity(
            PassRecord.objects.filter(project=project_id, worker=worker_id, work_date=day)
        )
        .order_by("pk")
        .values("pk", *VALIDITY_FIELDS)
    )
    counted = [row["pk"] for row in rows if not pass_invalid_reason(row)]
    excluded = passes_excluded(counted)
    if not counted or len(excluded) < len(counted):
        return ""
    return excluded[counted[0]]


def reference_key_post_days_compute(*, project_id: int, day: dt.date) -> list[KeyPostDay]:
    rows = []
    calendar = project_calendar(Project.objects.get(pk=project_id))
    for post in KeyPost.objects.filter(project=project_id):
        holder_id = key_post_holder_on(post, day)
        daily = (
            DailyAttendance.objects.filter(
                project=project_id, worker=holder_id, work_date=day
            ).first()
            if holder_id
            else None
        )
        attended = bool(daily and daily.attended)
        absence_reason = _holder_passes_excluded(project_id, holder_id, day) if attended else ""
        row, _ = KeyPostDay.objects.update_or_create(
            key_post=post,
            work_date=day,
            defaults={
                "project_id": project_id,
                "holder_id": holder_id,
                "attended": attended and not absence_reason,
                "first_in": daily.first_in if daily else None,
                "minutes": daily.minutes if daily else 0,
                "exemption": key_post_exemption(calendar, post.post, day),
                "absence_reason": absence_reason,
            },
        )
        rows.append(row)
    return rows


def reference_attendance_recompute(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> int:
    keys = sorted(set(keys))
    reference_snapshot_checks_run(project_id=project_id, keys=keys)
    for worker_id, day in keys:
        reference_daily_attendance_recompute(project_id=project_id, worker_id=worker_id, day=day)
    holders = set(
        KeyPost.objects.filter(project=project_id, holder__isnull=False).values_list(
            "holder_id", flat=True
        )
    ) | set(
        KeyPostHolding.objects.filter(key_post__project=project_id).values_list(
            "worker_id", flat=True
        )
    )
    for day in sorted({day for worker_id, day in keys if worker_id in holders}):
        reference_key_post_days_compute(project_id=project_id, day=day)
    actual_starts_record(project_id=project_id)
    return len(keys)


def reference_key_post_days_recompute(*, project_id: int, first: dt.date, last: dt.date) -> int:
    day, n = first, 0
    while day <= last:
        n += len(reference_key_post_days_compute(project_id=project_id, day=day))
        day += dt.timedelta(days=1)
    return n
