"""月度出勤汇总 (MonthlyAttendance) and 劳务人员月出勤人数 (LaborMonth): what 欠薪预警's monthly checks count,
kept by triggers (issue 17 goal 4, N5: the checks read a few thousand counts, not every person-day).

- DailyAttendance → MonthlyAttendance.days: the change in attended days of every row inserted, updated or
  deleted; a new person-month gets its employer (below).
- Employment → MonthlyAttendance.employer: the employer of the person's latest (highest id) 建筑工人
  employment on the project, re-read for the (project, person) pairs an insert, delete or a change of
  project, person, employer or role touches; none when there is no such employment (not labor).
- MonthlyAttendance → LaborMonth.people: per project, month and employer, the person-months with days > 0.

Why triggers rather than a write in the roll-up: every path that writes those rows keeps the summaries in the
same statement, without having to remember it: the roll-up's upsert (services._daily_write), the registry's
employment writes, the demo and test fixtures' ORM writes, `QuerySet.update`, retention's deletes, cascades.
And they add deltas: two roll-ups of the same person's month (two batches, two task workers) each add their
own day under the summary row's lock, where recounting the month in each could let the later transaction
overwrite the other's day (it cannot see the other's uncommitted daily row).

- PostgreSQL: statement-level AFTER triggers with transition tables: one grouped INSERT … ON CONFLICT per
  statement, its rows in key order so that concurrent writers lock shared rows in the same order; a statement
  that changes nothing counted writes nothing (a roll-up rewriting an attended day: no summary write).
- SQLite: row-level triggers doing the same for each row.

The definitions are in migration 0020 (frozen there, as migrations must be); this module names the triggers
(seed_scale turns the daily rows' ones off while it loads generated days and then refills the summaries with
`monthly_fill`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from smz.attendance.models import DailyAttendance, LaborMonth, MonthlyAttendance
from smz.registry.models import Employment

DAILY_TRIGGERS = ("daily_monthly_insert", "daily_monthly_update", "daily_monthly_delete")


def month_sql(column: str) -> str:
    """The first day of the month of a date column, as a date, in this database's SQL."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column}::timestamp)::date"
    return f"date({column}, 'start of month')"


def monthly_fill() -> int:
    """Rewrite both summaries from the daily rows and the employments, set-based (after a load with the
    daily rows' triggers off): LaborMonth is emptied and refilled by the trigger on the summary's insert.
    Returns the MonthlyAttendance rows written."""
    daily = DailyAttendance._meta.db_table
    monthly = MonthlyAttendance._meta.db_table
    employment = Employment._meta.db_table
    latest = (
        f"(SELECT e.employer_id FROM {employment} e WHERE e.project_id = g.project_id"  # noqa: S608
        f" AND e.worker_id = g.worker_id AND e.work_role = '{Employment.Role.WORKER.value}'"
        " ORDER BY e.id DESC LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LaborMonth._meta.db_table}")  # noqa: S608 - model tables
        cursor.execute(f"DELETE FROM {monthly}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {monthly} (project_id, month, worker_id, days, employer_id)"  # noqa: S608
            f" SELECT g.project_id, g.month, g.worker_id, g.days, {latest}"
            f" FROM (SELECT project_id, {month_sql('work_date')} AS month, worker_id,"
            f" COUNT(*) AS days FROM {daily} WHERE attended GROUP BY project_id, 2, worker_id) g"
        )
        return int(cursor.rowcount)


@contextmanager
def daily_triggers_disabled() -> Iterator[None]:
    """PostgreSQL: the daily rows' summary triggers off while generated days are loaded (seed_scale), on
    again afterwards, also when the load fails. The caller refills the summaries (`monthly_fill`)."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("daily_triggers_disabled needs PostgreSQL")
    table = DailyAttendance._meta.db_table
    with connection.cursor() as cursor:
        for name in DAILY_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name in DAILY_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
