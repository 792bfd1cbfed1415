from __future__ import annotations

import datetime as dt

from django.tasks import task

from smz.attendance.services import daily_attendance_recompute


@task()
def recompute_days(project_id: int, keys: list[list]) -> int:
    """Recompute the daily rows touched by an ingested batch ([worker_id, "YYYY-MM-DD"] pairs)."""
    for worker_id, day in keys:
        daily_attendance_recompute(
            project_id=project_id, worker_id=int(worker_id), day=dt.date.fromisoformat(day)
        )
    return len(keys)
