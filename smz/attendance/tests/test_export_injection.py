"""Issue 10 item 9: the monthly attendance workbook writes a tenant's formula-like text as text."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import load_workbook

from smz.attendance.excel import monthly_attendance_workbook
from smz.core.downloads import xlsx_file
from smz.registry.models import Enterprise, Worker

LINK = '=HYPERLINK("http://evil.example/","点我")'
CMD = "=cmd|' /C calc'!A0"


def test_item9_attendance_export_escapes_formulas(world) -> None:
    Worker.objects.filter(pk=world.workers["gc"].pk).update(name=LINK)
    Enterprise.objects.filter(pk=world.employments["gc"].employer_id).update(name=CMD + "\x1f")
    project = world.projects["p1"]
    project.refresh_from_db()
    with xlsx_file(
        lambda book: monthly_attendance_workbook(
            book,
            user=world.user("gc_labor"),
            project=project,
            month=timezone.localdate().replace(day=1),
        )
    ) as handle:
        book = load_workbook(handle)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert [c.value for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert "'" + LINK in values and "'" + CMD + "\ufffd" in values
