"""Monthly partitions of the pass records on PostgreSQL (issue 17 goal 5).

`attendance_passrecord` is partitioned by range of `work_date` (the business day, Asia/Shanghai: what every
read filters on and what retention counts in), one partition a month, `attendance_passrecord_pYYYY_MM`, plus a
default partition that catches a day no month partition covers (a device's backlog from before the first
month, or this job not run for months) so an upload never fails for want of a partition. This job creates the
months ahead and gives a month found in the default partition its own partition, moving its rows there.

pg_partman does the same but is a server extension (installed as root, preloaded): smz stays installable on a
stock PostgreSQL, so this small job runs instead: `manage.py partitions_ensure`, daily from
`attendance_close_day`, at `make run`, in the migration that partitions the table, and as the task
`attendance.tasks.partitions_ensure_task`. It is idempotent. On SQLite (the embedded default) it does nothing.

This module knows tables and SQL only (no models), so the migration can call it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

from smz.core.timeutil import business_date

PARTITIONED_TABLE = "attendance_passrecord"
RANGE_KEY = "work_date"
AHEAD_MONTHS = 3
_BOUNDS = re.compile(r"FOR VALUES FROM \('(\d{4}-\d{2}-\d{2})'\) TO \('(\d{4}-\d{2}-\d{2})'\)")


@dataclass(frozen=True, slots=True)
class Partition:
    """One month partition: rows with first <= work_date < after."""

    name: str
    first: dt.date
    after: dt.date


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_after(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def partition_name(month: dt.date, table: str = PARTITIONED_TABLE) -> str:
    return f"{table}_p{month:%Y_%m}"


def default_name(table: str = PARTITIONED_TABLE) -> str:
    return f"{table}_default"


def is_partitioned(connection: Any = default_connection, table: str = PARTITIONED_TABLE) -> bool:
    """Whether `table` is a partitioned table (never on SQLite)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def month_partitions(
    connection: Any = default_connection, table: str = PARTITIONED_TABLE
) -> list[Partition]:
    """The month partitions of `table`, oldest first (the default partition is not one)."""
    if not is_partitioned(connection, table):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUNDS.search(bound or "")
        if match:
            first, after = (dt.date.fromisoformat(g) for g in match.groups())
            found.append(Partition(name, first, after))
    return sorted(found, key=lambda p: p.first)


def _create(cursor: Any, table: str, month: dt.date) -> str:
    """Create `month`'s partition. Rows of that month waiting in the default partition move into it first
    (PostgreSQL refuses to attach a range the default partition holds rows of)."""
    name, first, after = partition_name(month, table), month_first(month), month_after(month)
    default = default_name(table)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [default])
    waiting = False
    if cursor.fetchone()[0]:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {RANGE_KEY} >= %s AND {RANGE_KEY} < %s)",  # noqa: S608
            [first, after],
        )
        waiting = cursor.fetchone()[0]
    if not waiting:
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM (%s) TO (%s)", [first, after]
        )
        return name
    # The table's indexes and constraints come with ATTACH (matching ones are created on the new table).
    cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {default} WHERE {RANGE_KEY} >= %s AND {RANGE_KEY} < %s"  # noqa: S608
        f" RETURNING *) INSERT INTO {name} SELECT * FROM moved",
        [first, after],
    )
    cursor.execute(
        f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [first, after]
    )
    return name


def partitions_ensure(
    *,
    ahead: int = AHEAD_MONTHS,
    today: dt.date | None = None,
    months: list[dt.date] | None = None,
    connection: Any = default_connection,
    table: str = PARTITIONED_TABLE,
) -> list[str]:
    """Create the missing month partitions: this month and `ahead` more, `months` if given, and every month
    that has rows in the default partition. Returns the names created; nothing twice (idempotent)."""
    if not is_partitioned(connection, table):
        return []
    today = today or business_date(timezone.now())
    wanted = {month_first(today)}
    for _ in range(ahead):
        wanted.add(month_after(max(wanted)))
    wanted |= {month_first(m) for m in months or ()}
    created = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # One job at a time (make run, cron and the task may meet): the others wait, then find the work done.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{table}"])
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', {RANGE_KEY})::date FROM {default_name(table)}"  # noqa: S608
        )
        wanted |= {row[0] for row in cursor.fetchall()}
        have = {p.first for p in month_partitions(connection, table)}
        for month in sorted(wanted - have):
            created.append(_create(cursor, table, month))
    return created


def partition_detach_drop(
    partition: Partition, *, connection: Any = default_connection, table: str = PARTITIONED_TABLE
) -> None:
    """Detach a month partition and drop it (inside the caller's transaction; retention decides which)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")
