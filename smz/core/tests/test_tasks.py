"""core.tasks.task_enqueue stores the very row Task.enqueue stores (N5, issue 17 goal 2), and the worker runs it."""

import datetime as dt

import pytest
from django.db import transaction
from django.tasks import task
from django.tasks.signals import task_enqueued
from django.test import override_settings
from django_tasks_db.models import DBTaskResult, get_date_max

from smz.core.tasks import task_enqueue

CALLS: list[tuple] = []


@task()
def echo(project_id: int, keys: str) -> str:
    CALLS.append((project_id, keys))
    return f"{project_id}/{keys}"


COMPARED = [
    f.attname for f in DBTaskResult._meta.concrete_fields if f.attname not in ("id", "enqueued_at")
]


def _row(pk) -> dict:
    return DBTaskResult.objects.filter(pk=pk).values(*COMPARED).get()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"priority": 7, "queue_name": "default"},
        {"run_after": dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)},
    ],
)
def test_the_row_is_the_one_task_enqueue_stores(variant):
    t = echo.using(**variant)
    expected = t.enqueue(42, "7:2026-12-01;8:2026-12-02")
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    task_enqueue(t, 42, "7:2026-12-01;8:2026-12-02")
    (new_pk,) = set(DBTaskResult.objects.values_list("pk", flat=True)) - before
    assert _row(new_pk) == _row(expected.id)
    stored = DBTaskResult.objects.get(pk=new_pk)
    assert stored.enqueued_at is not None
    assert stored.run_after == variant.get("run_after", get_date_max())
    assert stored.status == "READY" and stored.args_kwargs == {
        "args": [42, "7:2026-12-01;8:2026-12-02"],
        "kwargs": {},
    }


@pytest.mark.django_db
def test_the_worker_runs_it_and_the_signal_is_sent():
    heard = []

    def receiver(sender, task_result, **kwargs):
        heard.append(task_result)

    task_enqueued.connect(receiver)
    try:
        task_enqueue(echo, 5, "1:2026-12-03")
    finally:
        task_enqueued.disconnect(receiver)
    row = DBTaskResult.objects.ready().get()
    assert [r.id for r in heard] == [str(row.id)] and heard[0].task.func is echo.func
    CALLS.clear()
    assert row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]) == "5/1:2026-12-03"
    assert CALLS == [(5, "1:2026-12-03")]


@pytest.mark.django_db(transaction=True)
def test_it_commits_with_the_callers_rows_or_not_at_all():
    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(echo, 1, "x")
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        task_enqueue(echo, 2, "y")
    assert DBTaskResult.objects.get().args_kwargs["args"] == [2, "y"]


@pytest.mark.django_db
def test_another_backend_gets_task_enqueue():
    CALLS.clear()
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ):
        task_enqueue(echo, 3, "z")
    assert CALLS == [(3, "z")] and not DBTaskResult.objects.exists()
