"""Set-based writes and reads for the hot paths (the attendance roll-up, N5), on SQLite and PostgreSQL alike:
many rows in one INSERT … ON CONFLICT statement without building a model instance per row, and `= ANY(array)`
for long lists of values.

Why not the ORM's `bulk_create(update_conflicts=True)` and `__in`: a model instance and the compiler's
per-value preparation for every row, and on PostgreSQL one placeholder per value, each of which psycopg's
client-side binding finds by scanning the statement (≈ 16 µs a placeholder; 60 % of the roll-up's Python time
on 200-row batches, docs/bench.md). On PostgreSQL each column travels as one array (INSERT … SELECT FROM
unnest(…), `col = ANY(%s)`), as Django's own bulk insert does; SQLite gets VALUES rows and IN lists, in
statements of at most its parameter limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models import Lookup
from django.utils import timezone

# Longer lists go to SQLite as one JSON array (json_each) rather than one parameter each (its limit: 32,766).
_SQLITE_IN_LIST = 1_000

_RAW_TYPES = (
    models.AutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.IntegerField,
    models.TextField,
)


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[models.Model], name: str) -> str:
    return str(_field(model, name).column)


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if isinstance(field, (models.ForeignKey, *_RAW_TYPES)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _pg_type(field: models.Field) -> str:
    if isinstance(field, models.JSONField):
        return "text"  # sent as JSON text, cast per row (an array of jsonb literals would be parsed twice)
    return str(field.db_type(connection)).split("(")[0]  # varchar, not varchar(16): nothing cut


def pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal ('{1,"2026-03-12 07:00:00+00:00",NULL}'), built here in one pass: psycopg
    dumps a Python list element by element in Python (≈ 14 µs a value on this path)."""
    out = []
    seen: dict[Any, str] = {}  # the same moment (a batch's computed_at) is formatted once
    for v in values:
        if v is None:
            out.append("NULL")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        elif isinstance(v, int):
            out.append(str(v))
        elif isinstance(v, str):
            out.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif (text := seen.get(v)) is not None:
            out.append(text)
        else:
            text = v.isoformat() if hasattr(v, "isoformat") else str(v)
            seen[v] = text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out.append(text)
    return "{" + ",".join(out) + "}"


def hot_cursor() -> Any:
    """A cursor for the statements every device request runs (issue 17 goal 2): on PostgreSQL one that binds
    its parameters on the server (psycopg's Cursor, where Django's quotes every value into the statement's
    text), so that the statement is prepared on its connection once it ran `prepare_threshold` times (the
    database's OPTIONS, config/settings.py) and PostgreSQL stops planning it anew: a check-in's PostgreSQL CPU
    0.92 → 0.37 ms, a 100-record upload's 2.05 → 1.6 ms (docs/bench.md). Elsewhere Django's own cursor.
    Wrapped like any Django cursor: the same error mapping, execute wrappers and query log. Parameters are
    typed by PostgreSQL from the statement (cast them, e.g. `%s::bigint[]`), not by their quoting."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg  # a requirement; imported here so that SQLite-only code paths never load it

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    return connection._prepare_cursor(raw)  # type: ignore[attr-defined]


def rows_upsert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    unique: Sequence[str],
    update: Sequence[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """INSERT the rows (tuples in the order of `fields`); on a conflict on `unique`, set the `update` columns
    from the new row (none: keep the stored row, DO NOTHING). PostgreSQL: one statement; SQLite: one per
    max_query_params values. With `returning`, that column of every row inserted or updated (with DO
    NOTHING: the rows that were not there yet). The statement is written once per shape and database (a
    device upload runs three of these: writing them cost more than the rows, issue 17 goal 2)."""
    if not rows:
        return []
    shape = _upsert_shape(
        model, tuple(fields), tuple(unique), tuple(update), returning, connection.vendor
    )
    out: list[Any] = []
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) == 1:
            # one row (a request's nonce, its batch answer, a check-in's pass key): its values as they are,
            # not arrays to build and unnest (a 12 KB batch answer escaped into an array literal: ≈ 80 µs)
            values = [
                json.dumps(v, cls=encoder) if is_json else v
                for v, (is_json, encoder) in zip(rows[0], shape.json, strict=True)
            ]
            cursor.execute(shape.one_sql, values)
            return [r[0] for r in cursor.fetchall()] if returning else []
        if connection.vendor == "postgresql":
            arrays = [
                pg_array(json.dumps(v, cls=encoder) if is_json else v for v in values)
                for values, (is_json, encoder) in zip(
                    zip(*rows, strict=True), shape.json, strict=True
                )
            ]
            cursor.execute(shape.sql, arrays)
            return [r[0] for r in cursor.fetchall()] if returning else []
        step = max(1, (connection.features.max_query_params or 999) // len(fields))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    v if p is None else p(v) for v, p in zip(row, shape.preparers, strict=True)
                )
            cursor.execute(shape.sql.format(values=", ".join([shape.one] * len(chunk))), params)
            if returning:
                out.extend(r[0] for r in cursor.fetchall())
    return out


@dataclass(frozen=True)
class _UpsertShape:
    sql: str  # on SQLite with a {values} slot for the chunk's rows
    one_sql: str  # PostgreSQL: one row of typed values
    one: str  # one SQLite row of placeholders
    preparers: list[Callable[[Any], Any] | None]
    json: list[tuple[bool, Any]]  # per field: JSON (sent as text, cast per row), and its encoder


@cache
def _upsert_shape(
    model: type[models.Model],
    fields: tuple[str, ...],
    unique: tuple[str, ...],
    update: tuple[str, ...],
    returning: str | None,
    vendor: str,
) -> _UpsertShape:
    concrete = [_field(model, name) for name in fields]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in concrete)
    target = ", ".join(qn(_column(model, name)) for name in unique)
    if update:
        sets = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (_column(model, n) for n in update))
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    table = qn(model._meta.db_table)
    tail = f" RETURNING {qn(_column(model, returning))}" if returning else ""
    json_fields = [(isinstance(f, models.JSONField), getattr(f, "encoder", None)) for f in concrete]
    if vendor == "postgresql":
        names = [f"c{i}" for i in range(len(concrete))]
        picks = ", ".join(
            f"{n}::jsonb" if is_json else n
            for n, (is_json, _) in zip(names, json_fields, strict=True)
        )
        sources = ", ".join(f"%s::{_pg_type(f)}[]" for f in concrete)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {picks} FROM unnest({sources})"  # noqa: S608
            f" AS u({', '.join(names)}) ON CONFLICT ({target}) {action}{tail}"
        )
        typed = ", ".join(
            "%s::jsonb" if is_json else f"%s::{_pg_type(f)}"
            for f, (is_json, _) in zip(concrete, json_fields, strict=True)
        )
        one_sql = (
            f"INSERT INTO {table} ({columns}) VALUES ({typed})"  # noqa: S608
            f" ON CONFLICT ({target}) {action}{tail}"
        )
    else:
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {{values}}"  # noqa: S608
            f" ON CONFLICT ({target}) {action}{tail}"
        )
        one_sql = ""
    return _UpsertShape(
        sql=sql,
        one_sql=one_sql,
        one="(" + ", ".join(["%s"] * len(fields)) + ")",
        preparers=[_preparer(f) for f in concrete],
        json=json_fields,
    )


class AnyOf(Lookup):
    """`field IN (…)` with the values as one array on PostgreSQL (`= ANY(%s::type[])`): one placeholder
    however many values. Use as `.filter(AnyOf(F("worker"), ids))`."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Iterable[Any]) -> None:
        super().__init__(lhs, list(rhs))

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        if connection.vendor == "postgresql":
            if all(
                type(v) is int for v in self.rhs
            ):  # ids, the common case: no per-value preparing
                array = "{" + ",".join(map(str, self.rhs)) + "}"
            else:
                array = pg_array(field.get_prep_value(v) for v in self.rhs)
            return f"{lhs} = ANY(%s::{_pg_type(field)}[])", (*lhs_params, array)
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        if not values:
            return "1 = 0", tuple(lhs_params)
        if len(values) > _SQLITE_IN_LIST:  # past SQLite's parameter limit: one JSON array parameter
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - lhs: a compiled column
            return sql, (*lhs_params, json.dumps(values))
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


# --- Loading many generated rows (seed_scale, the benchmarks): PostgreSQL only ---------------------------


def _column_default(field: models.Field) -> tuple[str, list[Any]]:
    """An SQL expression for a NOT NULL column the caller did not give (Django sets no database defaults)."""
    if field.has_default():
        value = field.get_default()
        if isinstance(field, models.JSONField):
            return "%s::jsonb", [json.dumps(value)]
        return "%s", [value]
    if field.unique:
        return f"'{field.column}' || g::text", []
    if isinstance(field, models.BooleanField):
        return "false", []
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return "0", []
    if isinstance(field, models.DateTimeField):
        return "now()", []
    if isinstance(field, models.DateField):
        return "DATE '2026-01-01'", []
    if isinstance(field, models.JSONField):
        return "'{}'::jsonb", []
    if isinstance(field, (models.CharField, models.TextField, models.FileField)):
        return "''", []
    raise ValueError(f"{field.model.__name__}.{field.name}: give a value")


def rows_insert_select(
    model: type[models.Model], source: str, values: dict[str, str], params: Sequence[Any] = ()
) -> int:
    """INSERT INTO the model's table SELECT `values` (column → SQL expression) FROM `source` (which exposes
    a row number `g` where a unique column is left to its default); every other NOT NULL column gets its
    Django default or a neutral value. Generated rows built in the database, for seeding and benchmarks.
    Returns the rows written."""
    cols: list[str] = []
    exprs: list[str] = []
    args: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        extra: list[Any] = []
        if f.column in values:
            expr = values[f.column]
        elif f.null:
            continue
        else:
            expr, extra = _column_default(f)
        cols.append(connection.ops.quote_name(str(f.column)))
        exprs.append(expr)
        args.extend(extra)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(cols)})"  # noqa: S608 - the caller's own SQL
        f" SELECT {', '.join(exprs)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, *params])
        return cursor.rowcount


def rows_copy(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """COPY the rows (tuples in the order of `fields`, values as stored: ciphertext, not plaintext) into the
    model's table; every other NOT NULL column gets its Django default (auto_now columns: now). PostgreSQL
    (psycopg 3) only. Returns the rows written."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("rows_copy needs PostgreSQL")
    given = {_column(model, name) for name in fields}
    extra_cols, extra_vals = [], []
    now = timezone.now()
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in given or f.null:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        else:
            value = f.get_default()  # "" for a text column without a default
            if value is None:
                raise ValueError(f"{model.__name__}.{f.name}: give a value")
            if isinstance(f, models.JSONField):
                value = json.dumps(value)
        extra_cols.append(str(f.column))
        extra_vals.append(value)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in [*(_column(model, n) for n in fields), *extra_cols])
    tail = tuple(extra_vals)
    n = 0
    sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *tail))
            n += 1
    return n


@contextmanager
def indexes_deferred(*models_: type[models.Model]) -> Iterator[None]:
    """Load big tables without their secondary indexes, unique and foreign-key constraints, then rebuild them
    from the definitions the catalog gave (PostgreSQL manual, "Populating a Database": removing indexes and
    foreign keys before a bulk load and recreating them after is faster than maintaining them row by row; the
    re-added foreign keys are validated over the whole table, so a row that breaks one fails the load). The
    primary key stays. PostgreSQL only; rebuilt also when the load fails, so the schema is never left short."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("indexes_deferred needs PostgreSQL")
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), conindid"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f')",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
            " AND c.contype IN ('p', 'u'))",
            [tables],
        )
        indexes = cursor.fetchall()
        qn = connection.ops.quote_name
        for table, name, _definition, _ in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                # A partitioned table's index reads "ON ONLY": as written it would leave the partitions
                # without theirs (and the parent's invalid); without ONLY it is built on every partition.
                cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
            # unique constraints before foreign keys (a foreign key may rely on one)
            for table, name, definition, _ in sorted(constraints, key=lambda c: "FOREIGN" in c[2]):
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
