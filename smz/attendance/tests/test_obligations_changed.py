"""The registry announces changed obligations (registry.signals.obligations_changed); attendance answers with
one recompute task of the project's key-post days, queued only once the change has committed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from smz.registry.project_changes import RECOMPUTE_MAX_DAYS, project_start_change

TASK = "smz.attendance.tasks.recompute_key_post_days"


def test_a_changed_start_queues_the_key_post_recompute_after_commit(
    world, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    project = world.projects["p1"]
    new_start = today - dt.timedelta(days=20)
    old_start = project.planned_start
    with django_capture_on_commit_callbacks(execute=True):
        project_start_change(actor=None, project=project, new_start=new_start, basis="test")
        assert not DBTaskResult.objects.filter(task_path=TASK).exists()  # not before the commit
    task = DBTaskResult.objects.get(task_path=TASK)
    first = max(
        min(d for d in (old_start, new_start) if d is not None),
        today - dt.timedelta(days=RECOMPUTE_MAX_DAYS),
    )
    assert task.args_kwargs["args"] == [project.pk, first.isoformat(), today.isoformat()]


def test_a_rolled_back_change_queues_nothing(world, django_capture_on_commit_callbacks):
    project = world.projects["p1"]
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        project_start_change(
            actor=None, project=project, new_start=timezone.localdate(), basis="test"
        )
        raise RuntimeError("crash before commit")
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()
