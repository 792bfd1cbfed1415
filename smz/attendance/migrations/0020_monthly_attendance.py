"""月度出勤汇总 (issue 17 goal 4, N5): MonthlyAttendance and LaborMonth, kept by triggers on DailyAttendance,
MonthlyAttendance and Employment (smz/attendance/monthly.py), and back-filled from the rows already stored."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


DAILY = "attendance_dailyattendance"
MONTHLY = "attendance_monthlyattendance"
LABOR = "attendance_labormonth"
EMPLOYMENT = "registry_employment"
WORKER_ROLE = "20"  # Employment.Role.WORKER, 建筑工人


def latest_employer(pair: str) -> str:
    """The employer of the latest 建筑工人 employment of the (project_id, worker_id) of `pair` (a row alias)."""
    return (
        f"(SELECT e.employer_id FROM {EMPLOYMENT} e WHERE e.project_id = {pair}.project_id"
        f" AND e.worker_id = {pair}.worker_id AND e.work_role = '{WORKER_ROLE}'"
        " ORDER BY e.id DESC LIMIT 1)"
    )


# ---- PostgreSQL: statement-level triggers over transition tables (smz/attendance/monthly.py says why) ------
# Deltas are proposed in key order, so two statements lock the summary rows they share in the same order; a
# statement whose rows change nothing the summary counts writes nothing. A plpgsql statement may name only
# the transition tables its trigger has, hence one branch per operation.

PG_MONTH = "date_trunc('month', work_date::timestamp)::date"


def _daily_upsert(changes: str) -> str:
    return f"""
    INSERT INTO {MONTHLY} AS m (project_id, month, worker_id, days, employer_id)
    SELECT x.project_id, x.month, x.worker_id, x.d, {latest_employer("x")}
    FROM (SELECT project_id, {PG_MONTH} AS month, worker_id, SUM(d) AS d FROM ({changes}) c
          GROUP BY 1, 2, 3 HAVING SUM(d) <> 0) x
    ORDER BY 1, 2, 3
    ON CONFLICT (project_id, month, worker_id) DO UPDATE SET days = m.days + EXCLUDED.days;"""


_DAILY_NEW = "SELECT project_id, work_date, worker_id, 1 AS d FROM new_rows WHERE attended"
_DAILY_OLD = "SELECT project_id, work_date, worker_id, -1 AS d FROM old_rows WHERE attended"


def _labor_upsert(changes: str) -> str:
    return f"""
    INSERT INTO {LABOR} AS l (project_id, month, employer_id, people)
    SELECT project_id, month, employer_id, SUM(d) FROM ({changes}) c
    GROUP BY 1, 2, 3 HAVING SUM(d) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (project_id, month, employer_id) DO UPDATE SET people = l.people + EXCLUDED.people;"""


_LABOR_NEW = (
    "SELECT project_id, month, employer_id, 1 AS d FROM new_rows"
    " WHERE days > 0 AND employer_id IS NOT NULL"
)
_LABOR_OLD = (
    "SELECT project_id, month, employer_id, -1 AS d FROM old_rows"
    " WHERE days > 0 AND employer_id IS NOT NULL"
)


def _employer_refresh(pairs: str) -> str:
    return f"""
    UPDATE {MONTHLY} m SET employer_id = p.employer_id
    FROM (SELECT q.project_id, q.worker_id, {latest_employer("q")} AS employer_id
          FROM ({pairs}) q) p
    WHERE m.project_id = p.project_id AND m.worker_id = p.worker_id
      AND m.employer_id IS DISTINCT FROM p.employer_id;"""


_CHANGED = (
    "FROM new_rows n JOIN old_rows o ON o.id = n.id"
    " WHERE (n.project_id, n.worker_id, n.employer_id, n.work_role)"
    " IS DISTINCT FROM (o.project_id, o.worker_id, o.employer_id, o.work_role)"
)

PG_FUNCTIONS = [
    f"""
CREATE FUNCTION attendance_daily_monthly() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {_daily_upsert(_DAILY_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN {_daily_upsert(f"{_DAILY_NEW} UNION ALL {_DAILY_OLD}")}
  ELSE
    UPDATE {MONTHLY} m SET days = m.days - o.n
    FROM (SELECT project_id, {PG_MONTH} AS month, worker_id, COUNT(*) AS n
          FROM old_rows WHERE attended GROUP BY 1, 2, 3) o
    WHERE m.project_id = o.project_id AND m.month = o.month AND m.worker_id = o.worker_id;
  END IF;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION attendance_monthly_labor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {_labor_upsert(_LABOR_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN {_labor_upsert(f"{_LABOR_NEW} UNION ALL {_LABOR_OLD}")}
  ELSE
    UPDATE {LABOR} l SET people = l.people - o.n
    FROM (SELECT project_id, month, employer_id, COUNT(*) AS n FROM old_rows
          WHERE days > 0 AND employer_id IS NOT NULL GROUP BY 1, 2, 3) o
    WHERE l.project_id = o.project_id AND l.month = o.month AND l.employer_id = o.employer_id;
  END IF;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION attendance_employment_labor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {
        _employer_refresh("SELECT DISTINCT project_id, worker_id FROM new_rows")
    }
  ELSIF TG_OP = 'UPDATE' THEN {
        _employer_refresh(
            f"SELECT n.project_id, n.worker_id {_CHANGED}"
            f" UNION SELECT o.project_id, o.worker_id {_CHANGED}"
        )
    }
  ELSE {_employer_refresh("SELECT DISTINCT project_id, worker_id FROM old_rows")}
  END IF;
  RETURN NULL;
END $$""",
]


def _pg_triggers(name: str, table: str, function: str) -> list[str]:
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER {name}_{op.lower()} AFTER {op} ON {table} REFERENCING {ref}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for op, ref in tables.items()
    ]


TRIGGERS = [
    ("daily_monthly", DAILY, "attendance_daily_monthly"),
    ("monthly_labor", MONTHLY, "attendance_monthly_labor"),
    ("employment_labor", EMPLOYMENT, "attendance_employment_labor"),
]
PG_CREATE = PG_FUNCTIONS + [sql for t in TRIGGERS for sql in _pg_triggers(*t)]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS {name}_{op} ON {table}"
    for name, table, _ in TRIGGERS
    for op in ("insert", "update", "delete")
] + [f"DROP FUNCTION IF EXISTS {function}()" for _, _, function in TRIGGERS]

# ---- SQLite: the same, row by row --------------------------------------------------------------------------


def _sqlite_daily_add(r: str) -> str:
    return (
        f"INSERT INTO {MONTHLY} (project_id, month, worker_id, days, employer_id)"
        f" SELECT {r}.project_id, date({r}.work_date, 'start of month'), {r}.worker_id, 1,"
        f" {latest_employer(r)} WHERE {r}.attended"
        " ON CONFLICT (project_id, month, worker_id) DO UPDATE SET days = days + 1;"
    )


def _sqlite_daily_take(r: str) -> str:
    return (
        f"UPDATE {MONTHLY} SET days = days - 1 WHERE {r}.attended AND project_id = {r}.project_id"
        f" AND month = date({r}.work_date, 'start of month') AND worker_id = {r}.worker_id;"
    )


def _sqlite_labor_add(r: str) -> str:
    return (
        f"INSERT INTO {LABOR} (project_id, month, employer_id, people)"
        f" SELECT {r}.project_id, {r}.month, {r}.employer_id, 1"
        f" WHERE {r}.days > 0 AND {r}.employer_id IS NOT NULL"
        " ON CONFLICT (project_id, month, employer_id) DO UPDATE SET people = people + 1;"
    )


def _sqlite_labor_take(r: str) -> str:
    return (
        f"UPDATE {LABOR} SET people = people - 1 WHERE {r}.days > 0 AND {r}.employer_id IS NOT NULL"
        f" AND project_id = {r}.project_id AND month = {r}.month AND employer_id = {r}.employer_id;"
    )


def _sqlite_employer_refresh(r: str) -> str:
    return (
        f"UPDATE {MONTHLY} SET employer_id = {latest_employer(r)}"
        f" WHERE project_id = {r}.project_id AND worker_id = {r}.worker_id;"
    )


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


SQLITE_CREATE = [
    f"CREATE TRIGGER daily_monthly_insert AFTER INSERT ON {DAILY} WHEN NEW.attended"
    f" BEGIN {_sqlite_daily_add('NEW')} END",
    f"CREATE TRIGGER daily_monthly_update AFTER UPDATE ON {DAILY}"
    f" WHEN {_changed('attended', 'project_id', 'worker_id', 'work_date')}"
    f" BEGIN {_sqlite_daily_take('OLD')} {_sqlite_daily_add('NEW')} END",
    f"CREATE TRIGGER daily_monthly_delete AFTER DELETE ON {DAILY} WHEN OLD.attended"
    f" BEGIN {_sqlite_daily_take('OLD')} END",
    f"CREATE TRIGGER monthly_labor_insert AFTER INSERT ON {MONTHLY}"
    f" BEGIN {_sqlite_labor_add('NEW')} END",
    f"CREATE TRIGGER monthly_labor_update AFTER UPDATE ON {MONTHLY}"
    f" WHEN (OLD.days > 0) IS NOT (NEW.days > 0) OR {_changed('employer_id', 'project_id', 'month')}"
    f" BEGIN {_sqlite_labor_take('OLD')} {_sqlite_labor_add('NEW')} END",
    f"CREATE TRIGGER monthly_labor_delete AFTER DELETE ON {MONTHLY}"
    f" BEGIN {_sqlite_labor_take('OLD')} END",
    f"CREATE TRIGGER employment_labor_insert AFTER INSERT ON {EMPLOYMENT}"
    f" BEGIN {_sqlite_employer_refresh('NEW')} END",
    f"CREATE TRIGGER employment_labor_update AFTER UPDATE ON {EMPLOYMENT}"
    f" WHEN {_changed('project_id', 'worker_id', 'employer_id', 'work_role')}"
    f" BEGIN {_sqlite_employer_refresh('OLD')} {_sqlite_employer_refresh('NEW')} END",
    f"CREATE TRIGGER employment_labor_delete AFTER DELETE ON {EMPLOYMENT}"
    f" BEGIN {_sqlite_employer_refresh('OLD')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}_{op}"
    for name, _, _ in TRIGGERS
    for op in ("insert", "update", "delete")
]


def back_fill(vendor: str) -> str:
    """The summary of the daily rows already stored (its inserts fill LaborMonth through the trigger)."""
    month = PG_MONTH if vendor == "postgresql" else "date(work_date, 'start of month')"
    return (
        f"INSERT INTO {MONTHLY} (project_id, month, worker_id, days, employer_id)"
        f" SELECT g.project_id, g.month, g.worker_id, g.days, {latest_employer('g')}"
        f" FROM (SELECT project_id, {month} AS month, worker_id, COUNT(*) AS days FROM {DAILY}"
        " WHERE attended GROUP BY project_id, 2, worker_id) g"
    )


def forwards(apps: Any, schema_editor: Any) -> None:
    """The triggers, then the summaries of the rows already there (in the same transaction on PostgreSQL:
    the triggers' locks hold the roll-up off until the back-fill is committed)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Room on each page for a row's next version: a person's new day rewrites the row's `days`, which no
        # index covers, so the update stays on its page without new index entries (a HOT update; the
        # roll-up's summary upsert took a third of the time on the city copy than with full pages).
        schema_editor.execute(f"ALTER TABLE {MONTHLY} SET (fillfactor = 70)")
    for sql in PG_CREATE if vendor == "postgresql" else SQLITE_CREATE:
        schema_editor.execute(sql)
    schema_editor.execute(back_fill(vendor))


def backwards(apps: Any, schema_editor: Any) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_DROP if pg else SQLITE_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0019_daily_anomaly_kind_indexes"),
        ("registry", "0013_employment_worker_sites"),
    ]

    operations = [
        migrations.CreateModel(
            name="LaborMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(help_text="当月1日", verbose_name="月份")),
                ("people", models.IntegerField(default=0, verbose_name="出勤人数")),
                (
                    "employer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.enterprise",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.project",
                    ),
                ),
            ],
            options={
                "verbose_name": "劳务人员月出勤人数",
                "verbose_name_plural": "劳务人员月出勤人数",
                "indexes": [models.Index(fields=["month", "project"], name="labor_month_month")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("project", "month", "employer"), name="labor_month_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MonthlyAttendance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(help_text="当月1日", verbose_name="月份")),
                ("days", models.SmallIntegerField(default=0, verbose_name="出勤天数")),
                (
                    "employer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.enterprise",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.project",
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.worker",
                    ),
                ),
            ],
            options={
                "verbose_name": "月度出勤汇总",
                "verbose_name_plural": "月度出勤汇总",
                "indexes": [
                    models.Index(fields=["worker", "project"], name="monthly_attendance_person")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("project", "month", "worker"), name="monthly_attendance_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
