from __future__ import annotations

import datetime as dt

from django.tasks import task

from smz.attendance.services import attendance_recompute


@task()
def recompute_days(project_id: int, keys: list[list]) -> int:
    """Face checks and daily rows touched by an ingested batch ([worker_id, "YYYY-MM-DD"] pairs)."""
    return attendance_recompute(
        project_id=project_id,
        keys=[(int(worker_id), dt.date.fromisoformat(day)) for worker_id, day in keys],
    )
