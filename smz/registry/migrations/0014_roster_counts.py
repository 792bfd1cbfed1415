"""在场登记人数 by town and for the city (issue 17 goal 4, N5): RosterTown and RosterCount, kept by triggers on
Employment, Project and RosterTown (smz/registry/roster.py says why and how), back-filled from the employments
already stored."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

EMPLOYMENT = "registry_employment"
PROJECT = "registry_project"
ROSTER = "registry_rostertown"
COUNT = "registry_rostercount"
ACTIVE = "active"  # Employment.Status.ACTIVE
LOCK = 1705  # the advisory lock class of the roster summary (issue 17, goal 4/5)
FOLD_OVER = 512  # RosterCount rows above which a writer folds them into one a town

# ---- PostgreSQL: statement-level triggers over transition tables ----------------------------------------------


def _roster_upsert(changes: str) -> str:
    """Add the (project_id, worker_id, d) rows of `changes` to each person's row of the project's town and of
    the city (0), in key order; nothing when they net to zero."""
    return f"""
    WITH c AS ({changes})
    INSERT INTO {ROSTER} AS r (town, worker_id, employments)
    SELECT town, worker_id, SUM(d) FROM (
        SELECT p.jurisdiction_id AS town, c.worker_id, c.d FROM c JOIN {PROJECT} p ON p.id = c.project_id
        UNION ALL SELECT 0, c.worker_id, c.d FROM c) x
    GROUP BY 1, 2 HAVING SUM(d) <> 0
    ORDER BY 1, 2
    ON CONFLICT (town, worker_id) DO UPDATE SET employments = r.employments + EXCLUDED.employments;"""


def _shared_locks(projects: str) -> str:
    """Hold off a move of these projects to another town (registry_project_roster) until this transaction
    ends, and wait for one under way: the town read below is then the one the move leaves."""
    return (
        f"PERFORM pg_advisory_xact_lock_shared({LOCK}, mod(x.project_id, 2147483647)::int)"
        f" FROM (SELECT DISTINCT project_id FROM ({projects}) s ORDER BY 1) x;"
    )


_CHANGED = (
    "FROM new_rows n JOIN old_rows o ON o.id = n.id"
    " WHERE (n.status, n.project_id, n.worker_id) IS DISTINCT FROM (o.status, o.project_id, o.worker_id)"
)
_NEW = f"SELECT project_id, worker_id, 1 AS d FROM new_rows WHERE status = '{ACTIVE}'"
_OLD = f"SELECT project_id, worker_id, -1 AS d FROM old_rows WHERE status = '{ACTIVE}'"
_UPDATED = (
    f"SELECT n.project_id, n.worker_id, 1 AS d {_CHANGED} AND n.status = '{ACTIVE}'"
    f" UNION ALL SELECT o.project_id, o.worker_id, -1 {_CHANGED} AND o.status = '{ACTIVE}'"
)

_MOVED = (
    "SELECT n.id, n.jurisdiction_id AS new_town, o.jurisdiction_id AS old_town"
    " FROM new_rows n JOIN old_rows o ON o.id = n.id"
    " WHERE n.jurisdiction_id IS DISTINCT FROM o.jurisdiction_id"
)


def _count_insert(select: str) -> str:
    return f"INSERT INTO {COUNT} (town, people) {select};"


PG_FUNCTIONS = [
    f"""
CREATE FUNCTION registry_employment_roster() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {_shared_locks(_NEW)} {_roster_upsert(_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN {_shared_locks(_UPDATED)} {_roster_upsert(_UPDATED)}
  ELSE {_shared_locks(_OLD)} {_roster_upsert(_OLD)}
  END IF;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION registry_project_roster() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK}, mod(m.id, 2147483647)::int) FROM ({_MOVED} ORDER BY 1) m;
  WITH m AS ({_MOVED}), c AS (
      SELECT m.new_town AS town, e.worker_id, 1 AS d FROM m
      JOIN {EMPLOYMENT} e ON e.project_id = m.id AND e.status = '{ACTIVE}'
      UNION ALL SELECT m.old_town, e.worker_id, -1 FROM m
      JOIN {EMPLOYMENT} e ON e.project_id = m.id AND e.status = '{ACTIVE}')
  INSERT INTO {ROSTER} AS r (town, worker_id, employments)
  SELECT town, worker_id, SUM(d) FROM c GROUP BY 1, 2 HAVING SUM(d) <> 0 ORDER BY 1, 2
  ON CONFLICT (town, worker_id) DO UPDATE SET employments = r.employments + EXCLUDED.employments;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION registry_roster_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  added integer;
BEGIN
  IF TG_OP = 'INSERT' THEN {
        _count_insert(
            "SELECT town, COUNT(*) FROM new_rows WHERE employments > 0 GROUP BY 1 ORDER BY 1"
        )
    }
  ELSIF TG_OP = 'UPDATE' THEN {
        _count_insert(
            "SELECT n.town, SUM((n.employments > 0)::int - (o.employments > 0)::int)"
            " FROM new_rows n JOIN old_rows o ON o.id = n.id GROUP BY 1"
            " HAVING SUM((n.employments > 0)::int - (o.employments > 0)::int) <> 0 ORDER BY 1"
        )
    }
  ELSE {
        _count_insert(
            "SELECT town, -COUNT(*) FROM old_rows WHERE employments > 0 GROUP BY 1 ORDER BY 1"
        )
    }
  END IF;
  GET DIAGNOSTICS added = ROW_COUNT;
  -- Fold the changes into one row a town now and then; one writer at a time, the others skip it.
  IF added > 0 AND (SELECT COUNT(*) FROM {COUNT}) > {FOLD_OVER}
     AND pg_try_advisory_xact_lock({LOCK}, 0) THEN
    WITH gone AS (DELETE FROM {COUNT} RETURNING town, people)
    INSERT INTO {COUNT} (town, people) SELECT town, SUM(people) FROM gone GROUP BY 1 ORDER BY 1;
  END IF;
  RETURN NULL;
END $$""",
]


def _pg_triggers(name: str, table: str, function: str, ops: tuple[str, ...]) -> list[str]:
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER {name}_{op.lower()} AFTER {op} ON {table} REFERENCING {tables[op]}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for op in ops
    ]


ALL = ("INSERT", "UPDATE", "DELETE")
TRIGGERS = [
    ("employment_roster", EMPLOYMENT, "registry_employment_roster", ALL),
    ("project_roster", PROJECT, "registry_project_roster", ("UPDATE",)),
    ("roster_count", ROSTER, "registry_roster_count", ALL),
]
PG_CREATE = PG_FUNCTIONS + [sql for t in TRIGGERS for sql in _pg_triggers(*t)]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS {name}_{op.lower()} ON {table}"
    for name, table, _, ops in TRIGGERS
    for op in ops
] + [f"DROP FUNCTION IF EXISTS {function}()" for _, _, function, _ in TRIGGERS]

# ---- SQLite: the same, row by row (one writer at a time: RosterCount keeps one row a town) -------------------


def _sqlite_add(r: str) -> str:
    return (
        f"INSERT INTO {ROSTER} (town, worker_id, employments)"
        f" SELECT jurisdiction_id, {r}.worker_id, 1 FROM {PROJECT}"
        f" WHERE id = {r}.project_id AND {r}.status = '{ACTIVE}'"
        " ON CONFLICT (town, worker_id) DO UPDATE SET employments = employments + 1;"
        f" INSERT INTO {ROSTER} (town, worker_id, employments)"
        f" SELECT 0, {r}.worker_id, 1 WHERE {r}.status = '{ACTIVE}'"
        " ON CONFLICT (town, worker_id) DO UPDATE SET employments = employments + 1;"
    )


def _sqlite_take(r: str) -> str:
    return (
        f"UPDATE {ROSTER} SET employments = employments - 1"
        f" WHERE {r}.status = '{ACTIVE}' AND worker_id = {r}.worker_id"
        f" AND town IN (0, (SELECT jurisdiction_id FROM {PROJECT} WHERE id = {r}.project_id));"
    )


_ACTIVE_HERE = f"FROM {EMPLOYMENT} e WHERE e.project_id = NEW.id AND e.status = '{ACTIVE}'"


def _sqlite_count(town: str, d: str) -> str:
    return (
        f"UPDATE {COUNT} SET people = people + {d} WHERE town = {town};"
        f" INSERT INTO {COUNT} (town, people) SELECT {town}, {d}"
        f" WHERE NOT EXISTS (SELECT 1 FROM {COUNT} WHERE town = {town});"
    )


SQLITE_CREATE = [
    f"CREATE TRIGGER employment_roster_insert AFTER INSERT ON {EMPLOYMENT}"
    f" WHEN NEW.status = '{ACTIVE}' BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER employment_roster_update AFTER UPDATE ON {EMPLOYMENT}"
    " WHEN OLD.status IS NOT NEW.status OR OLD.project_id IS NOT NEW.project_id"
    f" OR OLD.worker_id IS NOT NEW.worker_id BEGIN {_sqlite_take('OLD')} {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER employment_roster_delete AFTER DELETE ON {EMPLOYMENT}"
    f" WHEN OLD.status = '{ACTIVE}' BEGIN {_sqlite_take('OLD')} END",
    f"CREATE TRIGGER project_roster_update AFTER UPDATE ON {PROJECT}"
    " WHEN OLD.jurisdiction_id IS NOT NEW.jurisdiction_id BEGIN"
    f" UPDATE {ROSTER} SET employments = employments"
    f" - (SELECT COUNT(*) {_ACTIVE_HERE} AND e.worker_id = {ROSTER}.worker_id)"
    f" WHERE town = OLD.jurisdiction_id AND worker_id IN (SELECT e.worker_id {_ACTIVE_HERE});"
    f" INSERT INTO {ROSTER} (town, worker_id, employments)"
    f" SELECT NEW.jurisdiction_id, e.worker_id, COUNT(*) {_ACTIVE_HERE} GROUP BY e.worker_id"
    " ON CONFLICT (town, worker_id) DO UPDATE SET employments = employments + excluded.employments;"
    " END",
    f"CREATE TRIGGER roster_count_insert AFTER INSERT ON {ROSTER} WHEN NEW.employments > 0"
    f" BEGIN {_sqlite_count('NEW.town', '1')} END",
    f"CREATE TRIGGER roster_count_update AFTER UPDATE ON {ROSTER}"
    " WHEN (OLD.employments > 0) IS NOT (NEW.employments > 0)"
    f" BEGIN {_sqlite_count('NEW.town', 'CASE WHEN NEW.employments > 0 THEN 1 ELSE -1 END')} END",
    f"CREATE TRIGGER roster_count_delete AFTER DELETE ON {ROSTER} WHEN OLD.employments > 0"
    f" BEGIN {_sqlite_count('OLD.town', '-1')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}_{op.lower()}" for name, _, _, ops in TRIGGERS for op in ops
]

BACK_FILL = (
    f"INSERT INTO {ROSTER} (town, worker_id, employments)"
    f" SELECT p.jurisdiction_id, e.worker_id, COUNT(*) FROM {EMPLOYMENT} e"
    f" JOIN {PROJECT} p ON p.id = e.project_id WHERE e.status = '{ACTIVE}'"
    " GROUP BY p.jurisdiction_id, e.worker_id"
    f" UNION ALL SELECT 0, worker_id, COUNT(*) FROM {EMPLOYMENT} WHERE status = '{ACTIVE}'"
    " GROUP BY worker_id"
)


def forwards(apps: Any, schema_editor: Any) -> None:
    """The triggers, then the summary of the employments already there (its insert fills RosterCount)."""
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_CREATE if pg else SQLITE_CREATE:
        schema_editor.execute(sql)
    schema_editor.execute(BACK_FILL)


def backwards(apps: Any, schema_editor: Any) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_DROP if pg else SQLITE_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_employment_worker_sites"),
    ]

    operations = [
        migrations.CreateModel(
            name="RosterCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "town",
                    models.IntegerField(
                        help_text="项目所属镇区的id；0 表示全市", verbose_name="镇区"
                    ),
                ),
                ("people", models.IntegerField(default=0, verbose_name="人数变化")),
            ],
            options={
                "verbose_name": "镇区在场登记人数",
                "verbose_name_plural": "镇区在场登记人数",
            },
        ),
        migrations.CreateModel(
            name="RosterTown",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "town",
                    models.IntegerField(
                        help_text="项目所属镇区的id；0 表示全市", verbose_name="镇区"
                    ),
                ),
                ("employments", models.IntegerField(default=0, verbose_name="在场登记数")),
                (
                    "worker",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.worker",
                    ),
                ),
            ],
            options={
                "verbose_name": "镇区在场登记人员",
                "verbose_name_plural": "镇区在场登记人员",
                "constraints": [
                    models.UniqueConstraint(fields=("town", "worker"), name="roster_town_unique")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
