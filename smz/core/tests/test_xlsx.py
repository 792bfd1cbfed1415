"""Issue 10 item 9: spreadsheet cells never become live formulas, and legacy control characters never break a save."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from smz.core.xlsx import safe_cell, safe_row, safe_text

ATTACKS = [
    '=HYPERLINK("http://evil.example/","点我领工资")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_item9_formula_text_is_escaped_and_stays_text(value: str) -> None:
    assert safe_text(value) == "'" + value
    book = Workbook()
    book.active.append(safe_row([value]))
    buf = io.BytesIO()
    book.save(buf)
    cell = load_workbook(io.BytesIO(buf.getvalue())).active["A1"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'")


def test_item9_unescaped_formula_would_be_live() -> None:
    # What the exports did before: openpyxl turns such text into a formula.
    book = Workbook()
    book.active.append([ATTACKS[0]])
    buf = io.BytesIO()
    book.save(buf)
    assert load_workbook(io.BytesIO(buf.getvalue())).active["A1"].data_type == "f"


def test_item9_illegal_xml_characters_are_replaced() -> None:
    assert safe_text("张\x00三\x07\x1f") == "张\ufffd三\ufffd\ufffd"
    book = Workbook()
    book.active.append(safe_row(["张\x07三"]))
    book.save(io.BytesIO())  # would raise IllegalCharacterError unescaped


def test_item9_ordinary_values_are_untouched() -> None:
    assert safe_row(["张三", 12, -5, 1.5, None, "4420**********1234", "钢筋工-班组"]) == [
        "张三",
        12,
        -5,
        1.5,
        None,
        "4420**********1234",
        "钢筋工-班组",
    ]
    assert safe_cell("") == ""


def test_item9_every_workbook_writer_uses_safe_cell() -> None:
    """A new openpyxl writer that does not import smz.core.xlsx fails here."""
    root = Path(__file__).resolve().parents[2]
    writers = [
        p
        for p in root.rglob("*.py")
        if "/tests/" not in str(p)
        and "/smz/testing/" not in str(p)  # test helpers build raw workbooks on purpose
        and re.search(r"\bWorkbook\(", p.read_text(encoding="utf-8"))
    ]
    assert writers
    missing = [
        str(p.relative_to(root))
        for p in writers
        if "smz.core.xlsx" not in p.read_text(encoding="utf-8") and p.name != "xlsx.py"
    ]
    assert missing == []
