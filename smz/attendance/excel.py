"""Monthly attendance per team as .xlsx (考勤月报, A3): one sheet per team, people × days, ID numbers masked;
streamed (smz.core.downloads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from smz.attendance import selectors
from smz.core.downloads import styled
from smz.core.errors import Forbidden
from smz.core.pii import mask_id_number
from smz.core.xlsx import safe_cell, safe_row
from smz.registry.codes import code_table
from smz.registry.excel import BOLD, HEADER_FILL
from smz.registry.models import Project
from smz.registry.scoping import is_authority, is_enterprise_user

FIXED = (("序号", 6), ("姓名", 10), ("证件号码", 22), ("用工单位", 26), ("工种", 10))
INVALID_MARK = "无效"
PRESENT_MARK = "√"
# People read (with their month of days) per query: what the export holds at a time.
CHUNK = 500


def monthly_attendance_workbook(
    book: Workbook, *, user: Any, project: Project, month: dt.date, team: int | None = None
) -> None:
    """The month's attendance written into a write-only workbook (smz.core.downloads): one sheet per team, in the
    order the teams first appear; the people are read a chunk at a time with their days and each row is written as
    it comes, so memory stays flat however big the site is (N5)."""
    if not (is_authority(user) or is_enterprise_user(user)):
        raise Forbidden("您的角色无权导出考勤")
    employments = selectors.calendar_employments_for(user, project=project, month=month, team=team)
    days = selectors.month_days(month)
    work_types = code_table("work_type")
    sheets: dict[str, _TeamSheet] = {}
    for row in selectors.calendar_rows_iter(
        employments, project=project, month=month, chunk_size=CHUNK
    ):
        team_name = safe_cell(row.employment.team.name) if row.employment.team else "未分班组"
        if (sheet := sheets.get(team_name)) is None:
            sheet = sheets[team_name] = _TeamSheet(book, team_name, project, month, days)
        sheet.add(row, work_types)
    if not sheets:
        sheets["无人员"] = _TeamSheet(book, "无人员", project, month, days)
    for sheet in sheets.values():
        sheet.finish()


class _TeamSheet:
    """One team's sheet: title, legend and header first; then a row per person; the day totals last."""

    def __init__(
        self, book: Workbook, team_name: str, project: Project, month: dt.date, days: list[dt.date]
    ) -> None:
        self.sheet = sheet = book.create_sheet(_sheet_title(team_name, book.sheetnames))
        self.days = days
        self.number = 0
        self.totals = [0] * len(days)
        self.attended_days = 0
        last_col = len(FIXED) + len(days) + 2
        # A write-only sheet takes its widths, panes and merges before its first row.
        for col, (_, width) in enumerate(FIXED, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        for col in range(len(FIXED) + 1, len(FIXED) + len(days) + 1):
            sheet.column_dimensions[get_column_letter(col)].width = 4
        sheet.freeze_panes = f"{get_column_letter(len(FIXED) + 1)}4"
        sheet.merged_cells.add(f"A1:{get_column_letter(last_col)}1")
        title = f"{project.name}　{month:%Y年%m月}考勤表　班组：{team_name}"
        sheet.append([styled(sheet, title, font=Font(bold=True, size=13))])
        sheet.append([f"√ 出勤　{INVALID_MARK} 仅有无效通行（不计出勤）　空白 无记录"])
        header = [t for t, _ in FIXED] + [str(d.day) for d in days] + ["出勤天数", "工时(小时)"]
        center = Alignment(horizontal="center")
        sheet.append(
            [styled(sheet, t, font=BOLD, fill=HEADER_FILL, alignment=center) for t in header]
        )

    def add(self, row: selectors.CalendarRow, work_types: dict[str, str]) -> None:
        e = row.employment
        self.number += 1
        values: list[Any] = [
            self.number,
            e.worker.name,
            mask_id_number(e.worker.id_number),
            e.employer.name,
            work_types.get(e.work_type, e.work_type),
        ]
        for index, day in enumerate(self.days):
            daily = row.days.get(day.day)
            if daily and daily.attended:
                self.totals[index] += 1
            values.append(
                PRESENT_MARK
                if daily and daily.attended
                else (INVALID_MARK if daily and daily.invalid_passes else "")
            )
        values += [row.attended_days, round(row.minutes / 60, 1)]
        self.attended_days += row.attended_days
        self.sheet.append(safe_row(values))

    def finish(self) -> None:
        cells = ["", "当日出勤人数", "", "", "", *self.totals, self.attended_days, ""]
        self.sheet.append([styled(self.sheet, v, font=BOLD) for v in cells])
        self.sheet.close()


def _sheet_title(name: str, taken: list[str]) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:28] or "班组"
    title, n = clean, 2
    while title in taken:
        title, n = f"{clean}_{n}", n + 1
    return title
