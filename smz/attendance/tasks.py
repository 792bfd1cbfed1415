from __future__ import annotations

import datetime as dt

from django.tasks import task

from smz.attendance.partitions import AHEAD_MONTHS, partitions_ensure
from smz.attendance.services import attendance_recompute, key_post_days_recompute
from smz.attendance.signals import passes_stored_announce


@task()
def recompute_days(project_id: int, keys: str | list[list]) -> int:
    """Face checks and daily rows touched by an ingested batch: "<worker_id>:<YYYY-MM-DD>;…" (or, from
    tasks queued by earlier versions, [[worker_id, "YYYY-MM-DD"], …]). Then the apps above hear of the
    passes (signals.passes_stored): announced from here, not from the device's request, so an upload costs
    one commit (issue 17 goal 2), and they hear of them only once they are committed and rolled up."""
    pairs = [k.split(":") for k in keys.split(";") if k] if isinstance(keys, str) else keys
    parsed = [(int(worker_id), dt.date.fromisoformat(day)) for worker_id, day in pairs]
    done = attendance_recompute(project_id=project_id, keys=parsed)
    text = keys if isinstance(keys, str) else ";".join(f"{w}:{d.isoformat()}" for w, d in parsed)
    passes_stored_announce(project_id=project_id, keys=text)
    return done


@task()
def recompute_key_post_days(project_id: int, first: str, last: str) -> int:
    """Key-post days of a project over a range, after its obligations changed (WF1–WF5)."""
    return key_post_days_recompute(
        project_id=project_id,
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
    )


@task()
def partitions_ensure_task(ahead: int = AHEAD_MONTHS) -> list[str]:
    """The pass records' month partitions ahead (PostgreSQL), as `manage.py partitions_ensure` does."""
    return partitions_ensure(ahead=ahead)
