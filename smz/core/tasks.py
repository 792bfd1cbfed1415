"""Enqueueing a task from a hot path: the device upload enqueues its roll-up once per request (N5, issue 17 goal 2).

`Task.enqueue` on the database backend (django-tasks-db) is `DBTaskResult.objects.create(...)`: the ORM writes
the 15-column INSERT anew for every call, which cost a single check-in ≈ 0.45 ms of its ≈ 1.8 ms of application
CPU (docs/bench.md). `task_enqueue` stores the same row (the model's own defaults, the backend's id function, its
`pre_save` handlers, every value through its field's own `pre_save` and `get_db_prep_save`) with the INSERT
written once per process, and sends the same `task_enqueued` signal. With another backend it is `Task.enqueue`.
Like it, the row is written in the caller's transaction: it commits with the caller's rows or not at all.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models.signals import pre_save
from django.tasks import Task
from django.tasks.signals import task_enqueued
from django.utils.json import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from smz.core.bulk import hot_cursor


@cache
def _insert(vendor: str) -> tuple[str, tuple[models.Field, ...]]:
    """The INSERT of one DBTaskResult row and its fields in column order, for one database engine."""
    fields = tuple(f for f in DBTaskResult._meta.concrete_fields if f.column)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = qn(DBTaskResult._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", fields  # noqa: S608


def task_enqueue(task: Task, *args: Any) -> None:
    """`task.enqueue(*args)`, as one INSERT written once per process on the database backend."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        task.enqueue(*args)
        return
    backend.validate_task(task)
    row: DBTaskResult = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,  # type: ignore[misc]  # None: the backend's pre_save sets its maximum
        backend_name=backend.alias,
    )
    using = connection.alias
    pre_save.send(sender=DBTaskResult, instance=row, raw=False, using=using, update_fields=None)
    sql, fields = _insert(connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with hot_cursor() as cursor:
        cursor.execute(sql, values)
    row._state.adding = False
    row._state.db = using
    task_enqueued.send(type(backend), task_result=row.task_result)
