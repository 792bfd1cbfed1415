"""Lookups into the national code tables (CodeItem rows, loaded from data/codes.json)."""

from __future__ import annotations

from functools import cache

from smz.registry.models import CodeItem


@cache
def _table(table: str) -> dict[str, str]:
    return dict(CodeItem.objects.filter(table=table).values_list("code", "name"))


def code_table(table: str) -> dict[str, str]:
    rows = _table(table)
    if not rows:  # not loaded yet (e.g. a flushed test database): do not cache emptiness
        _table.cache_clear()
    return rows


def code_name(table: str, code: str | None) -> str:
    if not code:
        return ""
    return code_table(table).get(code, code)


def code_valid(table: str, code: str | None) -> bool:
    return bool(code) and code in code_table(table)


def code_by_name(table: str, name: str) -> str | None:
    """The code whose name is `name` (Excel users type names, not codes)."""
    name = name.strip()
    for code, label in code_table(table).items():
        if label == name or code == name:
            return code
    return None
