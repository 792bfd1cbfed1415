"""Set-based writes for the hot paths (the attendance roll-up, N5): many rows in one INSERT … ON CONFLICT
statement, on SQLite and PostgreSQL alike, without building a model instance per row.

`bulk_create(update_conflicts=True)` does the same through the ORM but costs a model instance and the
compiler's per-value preparation for every row (≈ 60 % of the roll-up's Python time on 200-row batches,
docs/bench.md); here each column's values are prepared by the field once per value only where the driver
needs it (dates, times, JSON). Rows are tuples in the order of `fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

# PostgreSQL's bind-parameter limit (a 16-bit count) when server-side binding is on; SQLite reports its own.
_PG_MAX_PARAMS = 65_535

_RAW_TYPES = (
    models.AutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.IntegerField,
    models.TextField,
)


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    if isinstance(field, (models.ForeignKey, *_RAW_TYPES)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[models.Model], name: str) -> str:
    return str(_field(model, name).column)


def rows_per_statement(columns: int) -> int:
    """How many rows of `columns` values one statement carries on this database."""
    limit = connection.features.max_query_params or _PG_MAX_PARAMS
    return max(1, limit // columns)


def rows_upsert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    unique: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """INSERT the rows; on a conflict on `unique`, set the `update` columns from the new row (none: keep
    the stored row, DO NOTHING). One statement per rows_per_statement(len(fields)) rows."""
    if not rows:
        return
    opts = model._meta
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
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    step = rows_per_statement(len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            params: list[Any] = []
            for row in chunk:
                params.extend(v if p is None else p(v) for v, p in zip(row, preparers, strict=True))
            cursor.execute(
                f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
                f" ON CONFLICT ({target}) {action}",
                params,
            )
