"""Model instances from SQL written once, for the few hot reads where compiling the ORM query costs more than
running it: the device lookup of every device request (issue 17 goal 2, N5; the ORM compiles that join of
three tables in ≈ 0.6–0.9 ms, a check-in's whole application CPU is ≈ 4 ms). The columns are the models'
own (`_meta.concrete_fields`) and each value goes through the same converters the ORM applies (backend and
field: booleans and decimals on SQLite, JSON, encrypted fields), so an instance is the one the ORM builds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.db import connections, models

Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[models.Model], alias: str) -> str:
    """`alias."col", …` of the model's concrete fields, in the order from_row reads them."""
    qn = connections["default"].ops.quote_name
    return ", ".join(f"{alias}.{qn(str(f.column))}" for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


@cache
def _converters(
    model: type[models.Model], using: str
) -> tuple[list[str], list[tuple[Any, list[Converter]]]]:
    connection = connections[using]
    names, out = [], []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        names.append(field.attname)
        out.append(
            (col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)])
        )
    return names, out


def from_row[M: models.Model](
    model: type[M], values: Sequence[Any], *, using: str = "default"
) -> M:
    """An instance of `model` from its columns' values as the database returned them (columns() order)."""
    connection = connections[using]
    names, converters = _converters(model, using)
    converted = []
    for value, (col, funcs) in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, col, connection)
        converted.append(value)
    return model.from_db(using, names, converted)
