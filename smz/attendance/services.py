"""Daily attendance (A3, A4): recomputed from pass records whenever passes for a day arrive (late ones too)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from smz.attendance.models import DailyAttendance, PassRecord


def daily_attendance_recompute(*, project_id: int, worker_id: int, day: dt.date) -> DailyAttendance:
    """One person's day on one project: first in, last out, minutes on site, valid/invalid passes, anomalies."""
    passes = list(
        PassRecord.objects.filter(project=project_id, worker=worker_id, work_date=day)
        .order_by("event_time", "pk")
        .values("event_time", "direction", "valid", "invalid_reason", "off_site")
    )
    valid = [p for p in passes if p["valid"]]
    ins = [p["event_time"] for p in valid if p["direction"] in ("in", "")]
    outs = [p["event_time"] for p in valid if p["direction"] in ("out", "")]
    first_in = min(ins) if ins else None
    last_out = max(outs) if outs else None
    if first_in and last_out and last_out <= first_in:
        last_out = None  # last_out is the latest exit: none came after the first entry
    minutes = int((last_out - first_in).total_seconds() // 60) if first_in and last_out else 0
    anomalies = []
    invalid = [p for p in passes if not p["valid"]]
    if invalid and not valid:
        anomalies.append("only_invalid_passes")
    if first_in and not last_out:
        anomalies.append("no_exit")
    if any(p["off_site"] for p in passes):
        anomalies.append("off_site")
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
