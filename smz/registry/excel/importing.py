"""Reading and importing a roster workbook: cells to values, rows to checks, all-or-nothing writes (R3, N1).

One bad row rejects the whole file, so nobody has to untangle a half-imported roster; the caller gets every
error at once. When all rows pass, they are written in one transaction through worker_for_entry and
employment_register, so permissions and events are those of a single registration.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.strict import text_error
from smz.core.uploads import upload_read, xlsx_check
from smz.registry.codes import code_by_name, code_table
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.excel.columns import (
    CODE_SHEET,
    COLUMNS,
    FALSE_WORDS,
    HEADERS,
    LONG_TERM_WORDS,
    MAX_BYTES,
    MAX_REPORTED_ERRORS,
    MAX_ROWS,
    MAX_SCAN_ROWS,
    NOTE_MARK,
    READ_ERRORS,
    SERVICE_FIELDS,
    TRUE_WORDS,
    WORKER_KEYS,
    CellError,
    Column,
    ImportResult,
    Kind,
    RosterRow,
    RowError,
)
from smz.registry.identity import id_number_index
from smz.registry.models import Employment, Enterprise, Project, Team
from smz.registry.scoping import can_maintain_roster
from smz.registry.services import (
    WorkerData,
    employment_errors,
    employment_register,
    worker_data_errors,
    worker_for_entry,
)

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
    text = str(value).strip()
    if err := text_error(text):
        raise CellError(err)
    return text


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
            RegistryErrorCode.ROSTER_BAD_FILE,
            "文件不是有效的 .xlsx 表格，请使用平台下载的模板（Excel 2007 及以上格式）",
            status=422,
        )
    xlsx_check(content)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (*READ_ERRORS, InvalidFileException, KeyError, ValueError) as exc:
        raise _unreadable() from exc


def _unreadable() -> DomainError:
    return DomainError(
        RegistryErrorCode.ROSTER_BAD_FILE, "无法读取该 .xlsx 文件，文件可能已损坏", status=422
    )


def _rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SCAN_ROWS:
            raise DomainError(
                RegistryErrorCode.ROSTER_TOO_MANY_ROWS,
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
            raise DomainError(RegistryErrorCode.ROSTER_BAD_FILE, "文件中没有工作表", status=422)
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
            RegistryErrorCode.ROSTER_BAD_HEADER,
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
                RegistryErrorCode.ROSTER_TOO_MANY_ROWS,
                f"一次最多导入{MAX_ROWS}行，请拆分文件后分批导入",
                status=422,
            )
        parsed.append(_parse_row(number, columns, values))
    if not parsed:
        raise DomainError(RegistryErrorCode.ROSTER_EMPTY, "表格中没有数据行", status=422)
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
        RegistryErrorCode.ROSTER_INVALID_ROWS,
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
                worker, is_new = worker_for_entry(actor=actor, data=r.worker)
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
            kind=RegistryEventKind.ROSTER_IMPORTED,
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
            RegistryErrorCode.ROSTER_FILE_TOO_LARGE,
            f"文件超过{MAX_BYTES // 1024 // 1024}MB，请拆分后分批导入",
            status=413,
        )
    return roster_import(
        actor=actor, project=project, content=upload_read(upload, max_bytes=MAX_BYTES)
    )
