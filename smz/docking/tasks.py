"""Background task of docking's upward push (数据上报): one enqueue-and-push pass over the enabled targets, queued
by cron (`manage.py docking_push --once` does the same in the foreground; README 「Cron in production」)."""

from __future__ import annotations

from django.tasks import task

from smz.docking.services.upward import upstream_push_all


@task()
def upstream_push_task(target_id: int | None = None) -> int:
    """Enqueue what is new and push one pass, for every enabled target (or one); answers the records sent."""
    return upstream_push_all(target_id=target_id)
