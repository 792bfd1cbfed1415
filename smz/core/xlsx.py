"""Every spreadsheet cell the platform writes goes through `safe_cell`: no live formula, no illegal XML character.

Text typed by any tenant (a worker's name, a team, a subcontractor's name) ends up in exports read by
general contractors and the city. A text starting with =, +, -, @, tab or CR is opened by Excel or WPS as a
formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`): OWASP "CSV injection". It is written with a leading
apostrophe, so it shows as text and cannot be evaluated even after the user edits the cell. Control
characters that XML 1.0 forbids make openpyxl raise on save (one poisoned name broke every export); they are
replaced with U+FFFD so legacy data still exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
REPLACEMENT = "\ufffd"


def safe_text(value: str) -> str:
    """The text with illegal XML characters replaced and a formula prefix neutralised."""
    value = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    if value.startswith(FORMULA_PREFIXES):
        return ESCAPE + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell value safe to write: strings through safe_text, everything else (numbers, dates, cells) as is."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """safe_cell applied to every value of a row, for `sheet.append`."""
    return [safe_cell(v) for v in values]
