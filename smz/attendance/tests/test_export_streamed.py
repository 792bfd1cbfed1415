"""The month's Excel streams (N5, issue 17 goal 4) and writes what the in-memory export wrote: the same sheets,
cells, merges, panes, widths and styles, whatever the chunk size (a person with two employments in the month
across a chunk boundary, two teams of one name, people without a team)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from conftest import make_worker
from smz.attendance import excel, selectors
from smz.attendance.excel import FIXED, INVALID_MARK, PRESENT_MARK, _sheet_title
from smz.attendance.models import DailyAttendance
from smz.core.downloads import xlsx_file
from smz.core.pii import mask_id_number
from smz.core.xlsx import safe_cell, safe_row
from smz.registry.codes import code_table
from smz.registry.excel import BOLD, HEADER_FILL
from smz.registry.models import Employment, Team
from smz.testing.downloads import download_body

MONTH = dt.date(2026, 10, 1)


def _reference(*, user: Any, project: Any, month: dt.date, team: int | None = None) -> bytes:
    """The export as it was before it streamed (code 45de42c, whole workbook in memory): the oracle."""
    employments = list(
        selectors.calendar_employments_for(user, project=project, month=month, team=team)
    )
    rows = selectors.calendar_rows(employments, project=project, month=month)
    days = selectors.month_days(month)
    work_types = code_table("work_type")
    by_team: dict[str, list[selectors.CalendarRow]] = {}
    for row in rows:
        team_name = safe_cell(row.employment.team.name) if row.employment.team else "未分班组"
        by_team.setdefault(team_name, []).append(row)
    book = Workbook()
    book.remove(book.active)
    if not by_team:
        by_team["无人员"] = []
    for team_name, team_rows in by_team.items():
        sheet = book.create_sheet(_sheet_title(team_name, book.sheetnames))
        last_col = len(FIXED) + len(days) + 2
        sheet.cell(
            1, 1, safe_cell(f"{project.name}　{month:%Y年%m月}考勤表　班组：{team_name}")
        ).font = Font(bold=True, size=13)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
        sheet.cell(2, 1, f"√ 出勤　{INVALID_MARK} 仅有无效通行（不计出勤）　空白 无记录")
        header = [t for t, _ in FIXED] + [str(d.day) for d in days] + ["出勤天数", "工时(小时)"]
        for col, title in enumerate(header, start=1):
            cell = sheet.cell(3, col, title)
            cell.font, cell.fill = BOLD, HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
        for col, (_, width) in enumerate(FIXED, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        for col in range(len(FIXED) + 1, len(FIXED) + len(days) + 1):
            sheet.column_dimensions[get_column_letter(col)].width = 4
        for number, row in enumerate(team_rows, start=1):
            e = row.employment
            values: list[Any] = [
                number,
                e.worker.name,
                mask_id_number(e.worker.id_number),
                e.employer.name,
                work_types.get(e.work_type, e.work_type),
            ]
            for day in days:
                daily = row.days.get(day.day)
                values.append(
                    PRESENT_MARK
                    if daily and daily.attended
                    else (INVALID_MARK if daily and daily.invalid_passes else "")
                )
            values += [row.attended_days, round(row.minutes / 60, 1)]
            sheet.append(safe_row(values))
        totals = selectors.day_totals(team_rows, month)
        sheet.append(
            ["", "当日出勤人数", "", "", "", *totals, sum(r.attended_days for r in team_rows), ""]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
        sheet.freeze_panes = sheet.cell(4, len(FIXED) + 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _shape(content: bytes) -> list[dict[str, Any]]:
    """Everything a reader sees of each sheet: cells (value, bold, size, fill, alignment, format), merges,
    panes, widths."""
    book = load_workbook(io.BytesIO(content))
    sheets = []
    for ws in book.worksheets:
        cells = {
            c.coordinate: (
                c.value,
                bool(c.font and c.font.b),
                c.font.sz if c.font else None,
                c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None,
                c.alignment.horizontal if c.alignment else None,
                c.number_format,
            )
            for row in ws.iter_rows()
            for c in row
            if c.value not in (None, "") or (c.font and c.font.b)
        }
        sheets.append(
            {
                "title": ws.title,
                "cells": cells,
                "rows": [
                    r for r in ws.iter_rows(values_only=True) if any(v not in (None, "") for v in r)
                ],
                "merged": sorted(str(r) for r in ws.merged_cells.ranges),
                "panes": ws.freeze_panes,
                "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            }
        )
    return sheets


@pytest.fixture
def month_data(world):
    """p1 in October 2026: days attended and invalid-only days; 测试乙工 exited from 甲钢筋班 on 3 October and
    is on 乙木工班's roster too (one row, his last employment); a second team named 甲钢筋班 (another firm); more
    people than the small chunk sizes below."""
    p1 = world.projects["p1"]
    sub_team = Team.objects.create(project=p1, enterprise=world.enterprises["sub"], name="甲钢筋班")
    Employment.objects.create(
        project=p1,
        worker=world.workers["sub"],
        employer=world.enterprises["gc"],
        team=world.teams["gc"],
        work_type="020",
        work_role="20",
        entry_on=dt.date(2026, 9, 1),
        exit_on=dt.date(2026, 10, 3),
        status=Employment.Status.EXITED,
    )
    extra = []
    for n in range(5):
        worker = make_worker(20 + n, f"测试丙工{n}")
        extra.append(worker)
        Employment.objects.create(
            project=p1,
            worker=worker,
            employer=world.enterprises["sub"],
            team=sub_team if n % 2 else None,
            work_type="020",
            work_role="20",
            entry_on=dt.date(2026, 10, 2 + n),
        )
    people = [world.workers["gc"], world.workers["sub"], world.workers["pm"], *extra]
    for i, worker in enumerate(people):
        for day in range(1, 31, 1 + i % 3):
            attended = (day + i) % 4 != 0
            DailyAttendance.objects.create(
                project=p1,
                worker=worker,
                work_date=MONTH.replace(day=day),
                minutes=480 + i if attended else 0,
                valid_passes=2 if attended else 0,
                invalid_passes=0 if attended else 1,
                attended=attended,
            )
    return p1


def _streamed(**kwargs: Any) -> bytes:
    with xlsx_file(lambda book: excel.monthly_attendance_workbook(book, **kwargs)) as handle:
        return handle.read()


@pytest.mark.parametrize("chunk", [1, 2, 3, 500])
@pytest.mark.parametrize("persona", ["gc_labor", "sub_labor", "city_admin"])
def test_streamed_month_writes_what_the_in_memory_export_wrote(
    world, month_data, monkeypatch, chunk, persona
):
    monkeypatch.setattr(excel, "CHUNK", chunk)
    kwargs = {"user": world.user(persona), "project": month_data, "month": MONTH}
    expected = _shape(_reference(**kwargs))
    assert _shape(_streamed(**kwargs)) == expected
    assert sum(len(s["rows"]) for s in expected) > 8  # the fixture has rows to compare


def test_streamed_month_of_one_team_and_of_nobody_are_the_same_too(world, month_data):
    user = world.user("gc_labor")
    one = {"user": user, "project": month_data, "month": MONTH, "team": world.teams["gc"].pk}
    assert _shape(_streamed(**one)) == _shape(_reference(**one))
    empty = {"user": user, "project": month_data, "month": dt.date(2020, 1, 1)}
    shape = _shape(_streamed(**empty))
    assert shape == _shape(_reference(**empty)) and [s["title"] for s in shape] == ["无人员"]


def test_the_month_download_streams_and_names_the_file(world, month_data, as_user):
    r = as_user("gc_labor").get(f"/projects/{month_data.pk}/attendance/export/?month=2026-10")
    assert r.status_code == 200 and r.streaming
    assert "filename*=utf-8''" in r["Content-Disposition"]
    content = download_body(r)
    assert int(r["Content-Length"]) == len(content)
    expected = _reference(user=world.user("gc_labor"), project=month_data, month=MONTH)
    assert _shape(content) == _shape(expected)
