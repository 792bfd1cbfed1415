"""Values for spreadsheet cells we write: legacy text with control characters never breaks an export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def cell_value(value: Any) -> Any:
    """`value` as openpyxl can store it: characters XML 1.0 cannot carry are dropped, the rest kept.

    Input is refused with control characters now (smz.core.strict), but names stored before that, or typed
    into a page, must not make every later export of a GC's or the city's roster fail for everybody.
    """
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def cell_row(values: Iterable[Any]) -> list[Any]:
    """A row for `sheet.append`, every text value through `cell_value`."""
    return [cell_value(v) for v in values]
