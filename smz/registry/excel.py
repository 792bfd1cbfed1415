"""Roster Excel (花名册): the import template, the all-or-nothing import, and the masked export (R3, N1, N2).

Import: every row is checked first (identity, employment, employer, team, duplicates in the file, people
already on the project). One bad row rejects the whole file, so nobody has to untangle a half-imported
roster; the caller gets every error at once. When all rows pass, they are written in one transaction
through worker_upsert and employment_register, so permissions and events are those of a single registration.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from smz.accounts.models import Role
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.pii import mask_bank_card, mask_id_number, mask_phone
from smz.core.scoping import can_maintain_roster, is_authority, is_enterprise_user
from smz.registry import selectors
from smz.registry.codes import code_by_name, code_table
from smz.registry.models import Employment, Enterprise, Project, Team
from smz.registry.services import (
    WorkerData,
    employment_errors,
    employment_register,
    id_number_index,
    worker_data_errors,
    worker_upsert,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024
# A sheet formatted down to row 1,048,576 is read row by row; stop long before that.
MAX_SCAN_ROWS = 50_000
MAX_REPORTED_ERRORS = 2_000
EXPORT_MAX_ROWS = 50_000
ROSTER_SHEET = "花名册"
CODE_SHEET = "代码表"
NOTE_MARK = "【说明】"
# Roles that maintain rosters (scoping.can_maintain_roster) and so may use the import page.
IMPORT_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST, Role.CITY_ADMIN})


class RosterErrorCode(StrEnum):
    BAD_FILE = "roster.bad_file"
    FILE_TOO_LARGE = "roster.file_too_large"
    BAD_HEADER = "roster.bad_header"
    EMPTY = "roster.empty"
    TOO_MANY_ROWS = "roster.too_many_rows"
    INVALID_ROWS = "roster.invalid_rows"
    EXPORT_TOO_LARGE = "roster.export_too_large"


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"
    DATE = "date"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    """One roster column: its Chinese header, the field it fills, and how a cell is read."""

    header: str
    key: str
    kind: Kind = Kind.TEXT
    table: str = ""
    required: bool = False
    note: str = ""
    width: int = 14
    as_text: bool = False  # long digit strings: Excel keeps only 15 significant digits of a number


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", required=True, note="必填，与证件一致", width=10),
    Column("证件类型", "id_card_type", Kind.CODE, "id_card_type", note="默认居民身份证"),
    Column("证件号码", "id_number", required=True, note="必填，文本格式", width=22, as_text=True),
    Column("性别", "gender", Kind.CODE, "gender", note="男/女；身份证可空", width=8),
    Column("民族", "nation", Kind.CODE, "nation", note="如 汉族", width=10),
    Column("出生日期", "birth_date", Kind.DATE, note="身份证可空"),
    Column("住址", "address", width=30),
    Column("发证机关", "grant_org", width=20),
    Column("证件有效期起", "id_valid_from", Kind.DATE),
    Column("证件有效期止", "id_valid_to", Kind.DATE, note="长期填“长期”或留空"),
    Column("手机号码", "phone", note="11位", as_text=True),
    Column("文化程度", "culture_level", Kind.CODE, "culture_level"),
    Column(
        "用工单位统一社会信用代码",
        "corp_code",
        required=True,
        note="必填，本项目参建单位",
        width=24,
        as_text=True,
    ),
    Column("班组名称", "team_name", note="建筑工人必填，须已登记", width=16),
    Column("工种", "work_type", Kind.CODE, "work_type", required=True, note="必填"),
    Column("人员类型", "work_role", Kind.CODE, "work_role", note="默认建筑工人"),
    Column("进场日期", "entry_on", Kind.DATE, required=True, note="必填，YYYY-MM-DD"),
    Column("工资卡号", "bank_card", width=22, as_text=True),
    Column("工资卡银行代码", "bank_code", Kind.CODE, "bank", note="银行名称或代码"),
    Column("开户行名称", "bank_name", width=24),
    Column("是否班组长", "is_team_leader", Kind.BOOL, note="是/否，默认否", width=10),
)
HEADERS = {c.key: c.header for c in COLUMNS}
# Service error keys that name a different column than the field they validate.
SERVICE_FIELDS = {"employer": "corp_code", "team": "team_name", "politics_type": "politics_type"}
CODE_SHEET_TABLES = (
    ("证件类型", "id_card_type"),
    ("性别", "gender"),
    ("民族", "nation"),
    ("文化程度", "culture_level"),
    ("工种", "work_type"),
    ("人员类型", "work_role"),
    ("银行", "bank"),
)
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√"}
FALSE_WORDS = {"", "否", "N", "NO", "FALSE", "0"}
LONG_TERM_WORDS = {"长期", "永久"}
WORKER_KEYS = frozenset(WorkerData.__dataclass_fields__)


# What a damaged archive raises while being read (XML parsers' errors, ElementTree's and lxml's,
# derive from SyntaxError).
READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    SyntaxError,
)


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


@dataclass(frozen=True)
class RowError:
    """One problem in the uploaded file: Excel row number, column header, reason (zh-CN)."""

    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class RosterRow:
    """One parsed data row: identity data for worker_upsert and employment data for employment_register."""

    row: int
    worker: WorkerData
    corp_code: str = ""
    team_name: str = ""
    work_type: str = ""
    work_role: str = Employment.Role.WORKER
    entry_on: dt.date | None = None
    is_team_leader: bool = False
    employer: Enterprise | None = None
    team: Team | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, key: str, reason: str) -> None:
        """Record the first reason for a column (later checks do not repeat a known problem)."""
        self.errors.setdefault(SERVICE_FIELDS.get(key, key), reason)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    rows: int
    workers_created: int
    workers_updated: int
    employments_created: int


# --- reading cells ---------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A cell as text; digits Excel has rounded (more than 15) are refused rather than guessed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if len(str(abs(value))) > 15:
            raise CellError("数字超过15位已被Excel截断，请将该列设为文本格式后重新填写")
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def _cell_date(value: Any) -> dt.date | None:
    """An Excel date, a date serial number, or a YYYY-MM-DD (also / or .) string."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            value = str(int(value))
        elif 1 <= value < 73051:  # serial numbers up to 2099-12-31
            return from_excel(value).date()
        else:
            raise CellError("日期无效，应为YYYY-MM-DD")
    text = str(value).strip().split(" ")[0]
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.date(*time.strptime(text, fmt)[:3])
        except ValueError:
            continue
    raise CellError("日期格式应为YYYY-MM-DD")


def _cell_code(value: Any, table: str) -> str:
    """A code, or the Chinese name of one (Excel users type names); numbers lose leading zeros."""
    text = _cell_text(value)
    if not text:
        return ""
    code = code_by_name(table, text)
    if code is None and text.isdigit():
        widths = {len(c) for c in code_table(table)}
        for width in widths:
            if (code := code_by_name(table, text.zfill(width))) is not None:
                break
    if code is None:
        raise CellError(f"“{text}”不是有效的代码或名称（见“{CODE_SHEET}”）")
    return code


def _cell_bool(value: Any) -> bool:
    text = _cell_text(value).upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("应填“是”或“否”")


def _read_cell(column: Column, value: Any) -> Any:
    if column.kind == Kind.CODE:
        return _cell_code(value, column.table)
    if column.kind == Kind.BOOL:
        return _cell_bool(value)
    if column.kind == Kind.DATE:
        if column.key == "id_valid_to" and _cell_text(value) in LONG_TERM_WORDS:
            return None
        return _cell_date(value)
    return _cell_text(value)


def _header_key(value: Any) -> str:
    text = str(value or "").strip().strip("*＊").strip()
    return next((c.key for c in COLUMNS if c.header == text), "")


def _parse_row(number: int, columns: list[Column | None], values: tuple[Any, ...]) -> RosterRow:
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for column, value in zip(columns, values, strict=False):
        if column is None:
            continue
        try:
            fields[column.key] = _read_cell(column, value)
        except CellError as exc:
            errors[column.key] = str(exc)
    for column in COLUMNS:
        if column.required and column.key not in errors and fields.get(column.key) in ("", None):
            errors[column.key] = f"{column.header}不能为空"
    worker = WorkerData(
        id_card_type=fields.get("id_card_type") or "01",
        id_number=fields.get("id_number", ""),
        name=fields.get("name", ""),
        **{
            k: v
            for k, v in fields.items()
            if k in WORKER_KEYS - {"id_card_type", "id_number", "name"}
        },
    )
    return RosterRow(
        row=number,
        worker=worker,
        corp_code=fields.get("corp_code", "").upper(),
        team_name=fields.get("team_name", ""),
        work_type=fields.get("work_type", ""),
        work_role=fields.get("work_role") or Employment.Role.WORKER,
        entry_on=fields.get("entry_on"),
        is_team_leader=fields.get("is_team_leader", False),
        errors=errors,
    )


def _open_book(content: bytes) -> Workbook:
    if not content.startswith(b"PK\x03\x04"):
        raise DomainError(
            RosterErrorCode.BAD_FILE,
            "文件不是有效的 .xlsx 表格，请使用平台下载的模板（Excel 2007 及以上格式）",
            status=422,
        )
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (*READ_ERRORS, InvalidFileException, KeyError, ValueError) as exc:
        raise _unreadable() from exc


def _unreadable() -> DomainError:
    return DomainError(
        RosterErrorCode.BAD_FILE, "无法读取该 .xlsx 文件，文件可能已损坏", status=422
    )


def _rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SCAN_ROWS:
            raise DomainError(
                RosterErrorCode.TOO_MANY_ROWS,
                f"表格超过{MAX_SCAN_ROWS}行（含空行），请删除多余的行后重新上传",
                status=422,
            )
        yield number, values


def roster_parse(content: bytes) -> list[RosterRow]:
    """Read the roster sheet of an .xlsx file into rows; cell-level problems are kept on each row."""
    book = _open_book(content)
    try:
        sheets = [ws for ws in book.worksheets if ws.title != CODE_SHEET]
        if not sheets:
            raise DomainError(RosterErrorCode.BAD_FILE, "文件中没有工作表", status=422)
        sheet: Any = sheets[0]
        sheet.reset_dimensions()  # some writers record a wrong used range; read what is there
        return _parse_sheet(sheet)
    except READ_ERRORS as exc:  # read-only mode parses the sheet while iterating
        raise _unreadable() from exc
    finally:
        book.close()


def _parse_sheet(sheet: Any) -> list[RosterRow]:
    rows = _rows(sheet)
    columns: list[Column | None] = []
    for number, values in rows:
        keys = [_header_key(v) for v in values]
        if "name" in keys and "id_number" in keys:
            columns = [next((c for c in COLUMNS if c.key == k), None) if k else None for k in keys]
            break
        if number >= 5:
            break
    missing = [c.header for c in COLUMNS if c.required and c not in columns]
    if not columns or missing:
        raise DomainError(
            RosterErrorCode.BAD_HEADER,
            "未找到完整的表头行，请使用平台下载的模板"
            + (f"（缺少列：{'、'.join(missing)}）" if columns else ""),
            status=422,
        )
    parsed: list[RosterRow] = []
    for number, values in rows:
        if all(_blank(v) for v in values):
            continue
        if isinstance(values[0], str) and values[0].startswith(NOTE_MARK):
            continue
        if len(parsed) >= MAX_ROWS:
            raise DomainError(
                RosterErrorCode.TOO_MANY_ROWS,
                f"一次最多导入{MAX_ROWS}行，请拆分文件后分批导入",
                status=422,
            )
        parsed.append(_parse_row(number, columns, values))
    if not parsed:
        raise DomainError(RosterErrorCode.EMPTY, "表格中没有数据行", status=422)
    return parsed


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- validating and writing ------------------------------------------------------------------


def roster_validate(*, actor: Any, project: Project, rows: list[RosterRow]) -> list[RowError]:
    """Check every row against the services' rules and the file itself; returns all errors found."""
    enterprises = {
        e.corp_code: e
        for e in Enterprise.objects.filter(corp_code__in={r.corp_code for r in rows if r.corp_code})
    }
    teams = {(t.enterprise_id, t.name): t for t in Team.objects.filter(project=project)}
    may_maintain: dict[int, bool] = {}
    employment_checks: dict[tuple[Any, ...], dict[str, str]] = {}
    first_row_of: dict[str, int] = {}
    leader_row_of: dict[int, int] = {}

    for r in rows:
        identity = worker_data_errors(r.worker)
        if not r.worker.gender and ("id_number" in identity or "id_number" in r.errors):
            # The sex comes from a valid ID number; with a bad number, "性别不能为空" is only noise.
            identity.pop("gender", None)
        for key, reason in identity.items():
            r.error(key, reason)
        if r.corp_code and "corp_code" not in r.errors:
            r.employer = enterprises.get(r.corp_code)
            if r.employer is None:
                r.error("corp_code", "未找到该统一社会信用代码的企业")
            else:
                if r.employer.pk not in may_maintain:
                    may_maintain[r.employer.pk] = can_maintain_roster(actor, project, r.employer.pk)
                if not may_maintain[r.employer.pk]:
                    r.error("corp_code", "无权为该用工单位登记人员")
        if r.employer is not None and r.team_name:
            r.team = teams.get((r.employer.pk, r.team_name))
            if r.team is None:
                r.error("team_name", f"本项目该用工单位下没有名为“{r.team_name}”的班组")
        if r.employer is not None and "team_name" not in r.errors:
            check = (r.employer.pk, r.team and r.team.pk, r.work_type, r.work_role, r.entry_on)
            if check not in employment_checks:
                employment_checks[check] = employment_errors(
                    project=project,
                    employer=r.employer,
                    team=r.team,
                    work_type=r.work_type,
                    work_role=r.work_role,
                    entry_on=r.entry_on,
                )
            for key, reason in employment_checks[check].items():
                r.error(key, reason)
        if r.is_team_leader:
            if r.team is None:
                if not r.team_name:
                    r.error("is_team_leader", "班组长须填写所在班组")
            elif r.team.pk in leader_row_of:
                r.error("is_team_leader", f"与第{leader_row_of[r.team.pk]}行为同一班组的班组长")
            else:
                leader_row_of[r.team.pk] = r.row
        if "id_number" not in r.errors and "id_card_type" not in r.errors:
            index = id_number_index(r.worker.id_card_type, r.worker.id_number)
            if index in first_row_of:
                r.error("id_number", f"与第{first_row_of[index]}行证件号码重复")
            else:
                first_row_of[index] = r.row

    by_row = {r.row: r for r in rows}
    for index in _active_on_project(project, list(first_row_of)):
        by_row[first_row_of[index]].error("id_number", "该人员已在本项目在场，不能重复登记")

    order = {c.key: i for i, c in enumerate(COLUMNS)}
    return [
        RowError(r.row, HEADERS.get(key, key), reason)
        for r in rows
        for key, reason in sorted(r.errors.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]


def _active_on_project(project: Project, indexes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(indexes), 500):
        found.update(
            Employment.objects.filter(
                project=project,
                status=Employment.Status.ACTIVE,
                worker__id_number_index__in=indexes[start : start + 500],
            ).values_list("worker__id_number_index", flat=True)
        )
    return found


def rows_error(errors: list[RowError]) -> DomainError:
    """The one 422 for a rejected file: every row error, in sheet order."""
    row_count = len({e.row for e in errors})
    shown = errors[:MAX_REPORTED_ERRORS]
    return DomainError(
        RosterErrorCode.INVALID_ROWS,
        f"花名册有{len(errors)}处错误（涉及{row_count}行），未导入任何数据，请修改后重新上传",
        {
            "rows": [e.as_dict() for e in shown],
            "total": len(errors),
            "truncated": len(shown) < len(errors),
        },
        status=422,
    )


def roster_import(*, actor: Any, project: Project, content: bytes) -> ImportResult:
    """Import a filled roster into a project: all rows or none (R3)."""
    if not can_maintain_roster(actor, project):
        raise Forbidden("无权维护该项目的花名册")
    rows = roster_parse(content)
    if errors := roster_validate(actor=actor, project=project, rows=rows):
        raise rows_error(errors)
    created = updated = 0
    with transaction.atomic():
        for r in rows:
            assert r.employer is not None and r.entry_on is not None  # validated above
            try:
                worker, is_new = worker_upsert(actor=actor, data=r.worker)
                employment_register(
                    actor=actor,
                    project=project,
                    worker=worker,
                    employer=r.employer,
                    team=r.team,
                    work_type=r.work_type,
                    work_role=r.work_role,
                    entry_on=r.entry_on,
                    is_team_leader=r.is_team_leader,
                )
            except DomainError as exc:
                # A race with another writer since validation: still all or nothing.
                raise rows_error([RowError(r.row, _error_header(exc), exc.message)]) from exc
            created += is_new
            updated += not is_new
        event_record(
            actor=actor,
            kind="roster.imported",
            subject=project,
            data={"rows": len(rows), "workers_created": created},
        )
    return ImportResult(
        rows=len(rows),
        workers_created=created,
        workers_updated=updated,
        employments_created=len(rows),
    )


def _error_header(exc: DomainError) -> str:
    fields = exc.detail.get("fields") or {}
    key = next(iter(fields), "")
    return HEADERS.get(SERVICE_FIELDS.get(key, key), "") if key else ""


def roster_import_upload(*, actor: Any, project: Project, upload: UploadedFile) -> ImportResult:
    """roster_import for an uploaded file, refusing oversize uploads before reading them."""
    if (upload.size or 0) > MAX_BYTES:
        raise DomainError(
            RosterErrorCode.FILE_TOO_LARGE,
            f"文件超过{MAX_BYTES // 1024 // 1024}MB，请拆分后分批导入",
            status=413,
        )
    return roster_import(actor=actor, project=project, content=upload.read())


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
        sheet.cell(row=last, column=col, value=code).number_format = "@"
        sheet.cell(row=last, column=col + 1, value=name)
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
    *, user: Any, project: Project | None = None, status: str = "", q: str = ""
) -> bytes:
    """项目人员 the user can see as .xlsx, personal numbers masked (N2), codes as names."""
    if not (is_authority(user) or is_enterprise_user(user)):
        raise Forbidden("您的角色无权导出项目人员")
    employments = selectors.employment_list_for(
        user, project=project.pk if project else None, status=status, q=q
    )
    if employments.count() > EXPORT_MAX_ROWS:
        raise DomainError(
            RosterErrorCode.EXPORT_TOO_LARGE,
            f"导出超过{EXPORT_MAX_ROWS}行，请按项目或状态缩小范围后再导出",
            status=422,
        )
    names = {table: code_table(table) for table in ("id_card_type", "nation", "work_type", "bank")}
    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目人员")
    for index, (_, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title, _ in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill = BOLD, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for e in employments.iterator(chunk_size=1000):
        w = e.worker
        sheet.append(
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
    return _save(book)


def _date_cell(sheet: Any, value: dt.date | None) -> WriteOnlyCell | str:
    if value is None:
        return ""
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx download; the filename is sent RFC 5987-encoded (Chinese names survive every browser)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
