"""Issue 10 item 9: a tenant's text never becomes a live formula in the employment export or the template."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from smz.registry.models import Enterprise, Team, Worker
from smz.testing.downloads import download_body

TEMPLATE_URL = reverse("api:roster_template")
EXPORT_URL = reverse("api:employment_export")
LINK = '=HYPERLINK("http://evil.example/","点我")'
CMD = "=cmd|' /C calc'!A0"


def _cells(content: bytes, sheet: str | None = None) -> dict[str, object]:
    book = load_workbook(io.BytesIO(content))
    ws = book[sheet] if sheet else book.worksheets[0]
    return {str(c.value): c for row in ws.iter_rows() for c in row if c.value is not None}


def _poison(world) -> None:
    Worker.objects.filter(pk=world.workers["gc"].pk).update(name=LINK)
    Team.objects.filter(pk=world.teams["gc"].pk).update(name=CMD)
    Enterprise.objects.filter(pk=world.employments["sub"].employer_id).update(name="@SUM(1)\x07")


def test_item9_employment_export_escapes_formulas(world, as_user) -> None:
    _poison(world)
    resp = as_user("gc_labor").get(f"{EXPORT_URL}?project={world.projects['p1'].pk}")
    assert resp.status_code == 200
    cells = _cells(download_body(resp))
    for text in (LINK, CMD, "@SUM(1)\ufffd"):
        cell = cells["'" + text]
        assert cell.data_type == "s"
    assert not [c for c in cells.values() if c.data_type == "f"]


def test_item9_template_code_sheet_escapes_formulas(world, as_user) -> None:
    _poison(world)
    resp = as_user("gc_labor").get(f"{TEMPLATE_URL}?project_id={world.projects['p1'].pk}")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert [c for c in cells if c.data_type == "f"] == []
    assert any(c.value == "'" + CMD and c.data_type == "s" for c in cells)
