"""Workbooks we write: the import template (with code-table dropdowns) and the masked roster export (R3, N2)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from smz.core.downloads import XLSX_CONTENT_TYPE, attachment, styled
from smz.core.errors import DomainError, Forbidden
from smz.core.pii import mask_bank_card, mask_id_number, mask_phone
from smz.core.xlsx import safe_cell, safe_row
from smz.registry import selectors
from smz.registry.codes import code_table
from smz.registry.errors import RegistryErrorCode
from smz.registry.excel.columns import (
    CODE_SHEET,
    CODE_SHEET_TABLES,
    COLUMNS,
    EXPORT_MAX_ROWS,
    IMPORT_ROLES,
    MAX_ROWS,
    NOTE_MARK,
    ROSTER_SHEET,
    Kind,
)
from smz.registry.models import Project
from smz.registry.scoping import can_maintain_roster, is_authority, is_enterprise_user

# --- template and export ---------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
REQUIRED = Font(bold=True, color="C00000")
NOTE = Font(italic=True, color="808080", size=9)


def _write_list(
    sheet: Worksheet, col: int, titles: tuple[str, str], items: Iterable[tuple[str, str]]
) -> int:
    """Two columns of (code, name) on the code sheet; returns the last row written."""
    for offset, title in enumerate(titles):
        cell = sheet.cell(row=1, column=col + offset, value=title)
        cell.font, cell.fill = BOLD, HEADER_FILL
        sheet.column_dimensions[get_column_letter(col + offset)].width = 16
    last = 1
    for last, (code, name) in enumerate(items, start=2):
        sheet.cell(row=last, column=col, value=safe_cell(code)).number_format = "@"
        sheet.cell(row=last, column=col + 1, value=safe_cell(name))
    return last


def _code_range(col: int, last: int) -> str:
    """An absolute reference to a list written by _write_list, for a dropdown's source."""
    letter = get_column_letter(col)
    return f"'{CODE_SHEET}'!${letter}$2:${letter}${last}"


def _dropdown(sheet: Worksheet, key: str, source: str) -> None:
    letter = get_column_letter(next(i for i, c in enumerate(COLUMNS, 1) if c.key == key))
    # A warning, not a stop: a typed code is as good as a picked name.
    validation = DataValidation(
        type="list", formula1=source, allow_blank=True, showErrorMessage=True, errorStyle="warning"
    )
    validation.error = "请从列表中选择，或填写代码"
    validation.add(f"{letter}3:{letter}{MAX_ROWS + 2}")
    sheet.add_data_validation(validation)


def roster_template(*, user: Any, project: Project | None = None) -> bytes:
    """The import template: headers, a notes row, the code tables, and dropdowns (for a project: its units and teams)."""
    if not (user.is_superuser or user.role in IMPORT_ROLES):
        raise Forbidden("您的角色无权导入花名册")
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = ROSTER_SHEET
    codes = book.create_sheet(CODE_SHEET)
    for col, column in enumerate(COLUMNS, start=1):
        head = sheet.cell(row=1, column=col, value=column.header)
        head.font = REQUIRED if column.required else BOLD
        head.fill = HEADER_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = sheet.cell(row=2, column=col, value=(NOTE_MARK if col == 1 else "") + column.note)
        note.font, note.alignment = NOTE, Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = column.width
        if column.as_text:
            sheet.column_dimensions[letter].number_format = "@"
        elif column.kind == Kind.DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    sheet.row_dimensions[2].height = 30
    sheet.freeze_panes = "B3"

    col = 1
    by_table = {c.table: c.key for c in COLUMNS if c.kind == Kind.CODE}
    for label, table in CODE_SHEET_TABLES:
        last = _write_list(codes, col, (f"{label}代码", f"{label}名称"), code_table(table).items())
        _dropdown(sheet, by_table[table], _code_range(col + 1, last))
        col += 3
    _dropdown(sheet, "is_team_leader", '"是,否"')
    if project is not None:
        units = [
            p.enterprise
            for p in selectors.participant_list(project)
            if can_maintain_roster(user, project, p.enterprise_id)
        ]
        unit_ids = {e.pk for e in units}
        units_last = _write_list(
            codes,
            col,
            ("用工单位统一社会信用代码", "用工单位名称"),
            {e.corp_code: e.name for e in units}.items(),
        )
        if units_last > 1:
            _dropdown(sheet, "corp_code", _code_range(col, units_last))
        col += 3
        teams = [
            t
            for t in selectors.team_list_for(user, project=project.pk)
            if t.enterprise_id in unit_ids
        ]
        teams_last = _write_list(
            codes,
            col,
            ("班组名称", "所属用工单位"),
            ((t.name, t.enterprise.name) for t in teams),
        )
        if teams_last > 1:
            _dropdown(sheet, "team_name", _code_range(col, teams_last))
    codes.freeze_panes = "A2"
    return _save(book)


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXPORT_COLUMNS = (
    ("项目编码", 20),
    ("项目名称", 28),
    ("姓名", 10),
    ("证件类型", 12),
    ("证件号码", 22),
    ("性别", 6),
    ("民族", 8),
    ("手机号码", 14),
    ("用工单位", 28),
    ("用工单位统一社会信用代码", 24),
    ("班组名称", 16),
    ("工种", 12),
    ("人员类型", 10),
    ("是否班组长", 10),
    ("进场日期", 12),
    ("退场日期", 12),
    ("状态", 8),
    ("工资卡号", 24),
    ("工资卡银行", 16),
    ("开户行名称", 24),
)


def employment_export(
    book: Workbook, *, user: Any, project: Project | None = None, status: str = "", q: str = ""
) -> None:
    """项目人员 the user can see, written into a write-only workbook (smz.core.downloads), personal numbers masked
    (N2), codes as names. The rows are read in chunks and written as they come, so memory stays flat (N5)."""
    if not (is_authority(user) or is_enterprise_user(user)):
        raise Forbidden("您的角色无权导出项目人员")
    employments = selectors.employment_list_for(
        user, project=project.pk if project else None, status=status, q=q
    )
    if employments.count() > EXPORT_MAX_ROWS:
        raise DomainError(
            RegistryErrorCode.ROSTER_EXPORT_TOO_LARGE,
            f"导出超过{EXPORT_MAX_ROWS}行，请按项目或状态缩小范围后再导出",
            status=422,
        )
    names = {table: code_table(table) for table in ("id_card_type", "nation", "work_type", "bank")}
    sheet = book.create_sheet("项目人员")
    for index, (_, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([styled(sheet, title, font=BOLD, fill=HEADER_FILL) for title, _ in EXPORT_COLUMNS])
    for e in employments.iterator(chunk_size=1000):
        w = e.worker
        sheet.append(
            safe_row(
                [
                    e.project.code,
                    e.project.name,
                    w.name,
                    names["id_card_type"].get(w.id_card_type, w.id_card_type),
                    mask_id_number(w.id_number),
                    w.get_gender_display(),
                    names["nation"].get(w.nation, w.nation),
                    mask_phone(w.phone),
                    e.employer.name,
                    e.employer.corp_code,
                    e.team.name if e.team else "",
                    names["work_type"].get(e.work_type, e.work_type),
                    e.get_work_role_display(),
                    "是" if e.is_team_leader else "否",
                    _date_cell(sheet, e.entry_on),
                    _date_cell(sheet, e.exit_on),
                    e.get_status_display(),
                    mask_bank_card(w.bank_card),
                    names["bank"].get(w.bank_code, w.bank_code),
                    w.bank_name,
                ]
            )
        )


def _date_cell(sheet: Any, value: dt.date | None) -> WriteOnlyCell | str:
    if value is None:
        return ""
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx download built in memory (fixed-size files: the templates), headers as every download's."""
    return attachment(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename)
