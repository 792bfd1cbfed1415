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
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Lookup

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


def _pg_array(values: Iterable[Any]) -> str:
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
    NOTHING: the rows that were not there yet)."""
    if not rows:
        return []
    concrete = [_field(model, name) for name in fields]
    preparers = [_preparer(f) for f in concrete]
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
    out: list[Any] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [
                _pg_array(
                    json.dumps(v, cls=f.encoder) if isinstance(f, models.JSONField) else v
                    for v in values
                )
                for values, f in zip(zip(*rows, strict=True), concrete, strict=True)
            ]
            names = [f"c{i}" for i in range(len(concrete))]
            picks = ", ".join(
                f"{n}::jsonb" if isinstance(f, models.JSONField) else n
                for n, f in zip(names, concrete, strict=True)
            )
            sources = ", ".join(f"%s::{_pg_type(f)}[]" for f in concrete)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {picks} FROM unnest({sources})"  # noqa: S608
                f" AS u({', '.join(names)}) ON CONFLICT ({target}) {action}{tail}",
                arrays,
            )
            return [r[0] for r in cursor.fetchall()] if returning else []
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        step = max(1, (connection.features.max_query_params or 999) // len(fields))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            params: list[Any] = []
            for row in chunk:
                params.extend(v if p is None else p(v) for v, p in zip(row, preparers, strict=True))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
                f" ON CONFLICT ({target}) {action}{tail}",
                params,
            )
            if returning:
                out.extend(r[0] for r in cursor.fetchall())
    return out


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
            array = _pg_array(field.get_prep_value(v) for v in self.rhs)
            return f"{lhs} = ANY(%s::{_pg_type(field)}[])", (*lhs_params, array)
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        if not values:
            return "1 = 0", tuple(lhs_params)
        if len(values) > _SQLITE_IN_LIST:  # past SQLite's parameter limit: one JSON array parameter
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - lhs: a compiled column
            return sql, (*lhs_params, json.dumps(values))
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)
