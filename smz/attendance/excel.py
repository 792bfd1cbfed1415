"""Monthly attendance per team as .xlsx (考勤月报, A3): one sheet per team, people × days, ID numbers masked."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from smz.attendance import selectors
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


def monthly_attendance_workbook(
    *, user: Any, project: Project, month: dt.date, team: int | None = None
) -> bytes:
    if not (is_authority(user) or is_enterprise_user(user)):
        raise Forbidden("您的角色无权导出考勤")
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


def _sheet_title(name: str, taken: list[str]) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:28] or "班组"
    title, n = clean, 2
    while title in taken:
        title, n = f"{clean}_{n}", n + 1
    return title
