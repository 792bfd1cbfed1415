"""The old integrity system (原诚信管理系统, issue 13 item 3): flagging a project as on it, and importing its deduction
records from the old system's Excel (.xlsx) or CSV export. Column layout and rules: docs/compliance/legacy-import.md.

As the roster import (smz/registry/excel), a file is all or nothing: one invalid row rejects the whole file with
every row's errors (行号, 列名, 原因), so nobody has to untangle a half-imported file. Re-importing is idempotent:
a row's 来源编号 identifies the record within the project, so the same reference updates the same record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.events import ComplianceEventKind
from smz.compliance.legacy_columns import LEGACY_COLUMNS
from smz.compliance.models import LegacyIntegrityRecord, LegacySystemProject
from smz.compliance.selectors import may_edit_rules
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.strict import text_error
from smz.core.uploads import upload_read, xlsx_check
from smz.registry.models import Enterprise, Project

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_SCAN_ROWS = MAX_ROWS + 200
MAX_REPORTED_ERRORS = 200
MAX_POINTS = Decimal("100")
# The old system's first day (its records cannot be older) and no record from the future.
EARLIEST = dt.date(2000, 1, 1)

COLUMNS = LEGACY_COLUMNS
HEADERS = {key: header for key, header, _ in COLUMNS}
_BY_HEADER = {header: key for key, header, _ in COLUMNS}
_READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    SyntaxError,
    InvalidFileException,
    KeyError,
    ValueError,
)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class LegacyRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    enterprise: Enterprise | None = None

    def error(self, key: str, reason: str) -> None:
        self.errors.setdefault(key, reason)


@dataclass(frozen=True)
class LegacyImportResult:
    batch: str
    rows: int
    created: int
    updated: int


def _require_city_admin(actor: Any) -> None:
    if not may_edit_rules(actor):
        raise Forbidden(
            "只有市级管理员可以登记原诚信管理系统项目", code=ComplianceErrorCode.FORBIDDEN
        )


# ---- flag --------------------------------------------------------------------------------------------


def legacy_flag(
    *, actor: Any, project: Project, attended_since: dt.date | None, note: str = ""
) -> LegacySystemProject:
    """Record (or correct) that `project` attended on the old integrity system since `attended_since`."""
    _require_city_admin(actor)
    errors: dict[str, str] = {}
    if attended_since is None:
        errors["attended_since"] = "请填写原系统考勤起始日期"
    elif attended_since >= dt.date(2020, 2, 1):
        errors["attended_since"] = (
            "原系统考勤起始日期应早于2020-02-01（此后开工的项目不在原系统考勤）"
        )
    if len(note) > 200:
        errors["note"] = "说明不超过200字"
    elif err := text_error(note):
        errors["note"] = err
    if errors:
        raise DomainError(
            ComplianceErrorCode.LEGACY_FLAG_INVALID, "登记信息有误", {"fields": errors}, status=422
        )
    assert attended_since is not None
    with transaction.atomic():
        flag, _ = LegacySystemProject.objects.update_or_create(
            project=project,
            defaults={"attended_since": attended_since, "note": note, "recorded_by": actor},
        )
        event_record(
            actor=actor,
            kind=ComplianceEventKind.LEGACY_FLAGGED,
            subject=project,
            data={"attended_since": attended_since.isoformat()},
        )
    return flag


# ---- reading -----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 73051:
        return from_excel(value).date()
    text = _text(value).split(" ")[0]
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.date(*time.strptime(text, fmt)[:3])
        except ValueError:
            continue
    raise ValueError("日期格式应为YYYY-MM-DD")


def _points(value: Any) -> Decimal:
    try:
        points = Decimal(_text(value))
    except InvalidOperation:
        raise ValueError("扣分分值应为数字") from None
    if not points.is_finite() or points <= 0 or points > MAX_POINTS:
        raise ValueError(f"扣分分值应大于0且不超过{MAX_POINTS}")
    if points != points.quantize(Decimal("0.01")):
        raise ValueError("扣分分值最多两位小数")
    return points


def _parse_row(number: int, keys: list[str], values: list[Any], today: dt.date) -> LegacyRow:
    row = LegacyRow(number)
    cells = dict(zip(keys, values, strict=False))
    for key, header, required in COLUMNS:
        raw = cells.get(key)
        text = _text(raw)
        if not text:
            if required:
                row.error(key, f"{header}不能为空")
            row.values[key] = ""
            continue
        if err := text_error(text):
            row.error(key, err)
            continue
        try:
            if key == "day":
                day = _date(raw)
                if day < EARLIEST or day > today:
                    raise ValueError(f"扣分日期应在{EARLIEST:%Y-%m-%d}至今天之间")
                row.values[key] = day
            elif key == "points":
                row.values[key] = _points(raw)
            elif key == "corp_code":
                code = text.upper()
                if len(code) != 18 or not code.isalnum():
                    raise ValueError("统一社会信用代码应为18位字母或数字")
                row.values[key] = code
            else:
                limit = {"item": 300, "source_ref": 60, "note": 200}[key]
                if len(text) > limit:
                    raise ValueError(f"{header}不超过{limit}字")
                row.values[key] = text
        except ValueError as exc:
            row.error(key, str(exc))
    return row


def _bad_file(message: str) -> DomainError:
    return DomainError(ComplianceErrorCode.LEGACY_BAD_FILE, message, status=422)


def _table(content: bytes, filename: str) -> list[list[Any]]:
    """The first sheet of an .xlsx, or a CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it)."""
    if content.startswith(b"PK\x03\x04"):
        xlsx_check(content, filename=filename)
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except _READ_ERRORS as exc:
            raise _bad_file("无法读取该 .xlsx 文件，文件可能已损坏") from exc
        try:
            sheet: Any = book.worksheets[0]
            sheet.reset_dimensions()
            out: list[list[Any]] = []
            for values in sheet.iter_rows(values_only=True):
                out.append(list(values))
                if len(out) > MAX_SCAN_ROWS:
                    raise _bad_file(f"一次最多导入{MAX_ROWS}行，请拆分文件后分批导入")
            return out
        except _READ_ERRORS as exc:
            raise _bad_file("无法读取该 .xlsx 文件，文件可能已损坏") from exc
        finally:
            book.close()
    if b"\x00" in content[:4096]:
        raise _bad_file("文件应为 .xlsx 表格或 .csv 文本文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _bad_file("CSV 文件编码无法识别，请另存为 UTF-8 编码")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise _bad_file(f"CSV 文件格式有误：{exc}") from exc
    if len(rows) > MAX_SCAN_ROWS:
        raise _bad_file(f"一次最多导入{MAX_ROWS}行，请拆分文件后分批导入")
    return [list(r) for r in rows]


def legacy_parse(content: bytes, *, filename: str = "", today: dt.date) -> list[LegacyRow]:
    """The data rows of a legacy export; cell problems are kept on each row."""
    if not content:
        raise _bad_file("文件为空")
    table = _table(content, filename)
    keys: list[str] = []
    start = 0
    for index, values in enumerate(table[:5]):
        found = [_BY_HEADER.get(_text(v).strip("*＊"), "") for v in values]
        if "source_ref" in found and "corp_code" in found:
            keys, start = found, index + 1
            break
    missing = [header for key, header, required in COLUMNS if required and key not in keys]
    if not keys or missing:
        raise DomainError(
            ComplianceErrorCode.LEGACY_BAD_HEADER,
            "未找到完整的表头行，请按导入说明的列名填写"
            + (f"（缺少列：{'、'.join(missing)}）" if keys else ""),
            status=422,
        )
    rows = [
        _parse_row(start + offset + 1, keys, values, today)
        for offset, values in enumerate(table[start:])
        if any(_text(v) for v in values)
    ]
    if not rows:
        raise DomainError(ComplianceErrorCode.LEGACY_EMPTY, "表格中没有数据行", status=422)
    if len(rows) > MAX_ROWS:
        raise _bad_file(f"一次最多导入{MAX_ROWS}行，请拆分文件后分批导入")
    return rows


def legacy_validate(rows: list[LegacyRow]) -> list[RowError]:
    """Enterprises must exist; a source reference appears once per file. Returns every error, in sheet order."""
    codes = {r.values.get("corp_code") for r in rows if r.values.get("corp_code")}
    enterprises = {e.corp_code: e for e in Enterprise.objects.filter(corp_code__in=codes)}
    first_row_of: dict[str, int] = {}
    for r in rows:
        code = r.values.get("corp_code")
        if code and "corp_code" not in r.errors:
            r.enterprise = enterprises.get(code)
            if r.enterprise is None:
                r.error("corp_code", "未找到该统一社会信用代码的企业")
        ref = r.values.get("source_ref")
        if ref and "source_ref" not in r.errors:
            if ref in first_row_of:
                r.error("source_ref", f"与第{first_row_of[ref]}行来源编号重复")
            else:
                first_row_of[ref] = r.row
    order = {key: i for i, (key, _, _) in enumerate(COLUMNS)}
    return [
        RowError(r.row, HEADERS[key], reason)
        for r in rows
        for key, reason in sorted(r.errors.items(), key=lambda kv: order[kv[0]])
    ]


def _rows_error(errors: list[RowError]) -> DomainError:
    shown = errors[:MAX_REPORTED_ERRORS]
    return DomainError(
        ComplianceErrorCode.LEGACY_INVALID_ROWS,
        f"文件有{len(errors)}处错误（涉及{len({e.row for e in errors})}行），未导入任何数据，"
        "请修改后重新上传",
        {
            "rows": [e.as_dict() for e in shown],
            "total": len(errors),
            "truncated": len(shown) < len(errors),
        },
        status=422,
    )


# ---- importing ---------------------------------------------------------------------------------------


def legacy_import(
    *, actor: Any, project: Project, content: bytes, filename: str = "", today: dt.date
) -> LegacyImportResult:
    """Import the old system's records of a flagged project: all rows or none; same 来源编号 = same record."""
    _require_city_admin(actor)
    if not LegacySystemProject.objects.filter(project=project).exists():
        raise DomainError(
            ComplianceErrorCode.LEGACY_NOT_FLAGGED,
            "该项目未登记为原诚信管理系统考勤项目，请先登记",
            status=422,
        )
    rows = legacy_parse(content, filename=filename, today=today)
    if errors := legacy_validate(rows):
        raise _rows_error(errors)
    batch = uuid.uuid4().hex
    now = timezone.now()
    created = updated = 0
    with transaction.atomic():
        existing = {
            rec.source_ref: rec
            for rec in LegacyIntegrityRecord.objects.select_for_update().filter(
                project=project, source_ref__in=[r.values["source_ref"] for r in rows]
            )
        }
        for r in rows:
            assert r.enterprise is not None  # validated above
            fields = {
                "day": r.values["day"],
                "enterprise": r.enterprise,
                "item": r.values["item"],
                "points": r.values["points"],
                "note": r.values.get("note", ""),
                "batch": batch,
                "imported_by": actor,
                "imported_at": now,
            }
            record = existing.get(r.values["source_ref"])
            if record is None:
                LegacyIntegrityRecord.objects.create(
                    project=project, source_ref=r.values["source_ref"], **fields
                )
                created += 1
            else:
                for name, value in fields.items():
                    setattr(record, name, value)
                record.save()
                updated += 1
        event_record(
            actor=actor,
            kind=ComplianceEventKind.LEGACY_IMPORTED,
            subject=project,
            data={"batch": batch, "rows": len(rows), "created": created, "updated": updated},
        )
    return LegacyImportResult(batch=batch, rows=len(rows), created=created, updated=updated)


def legacy_import_upload(
    *, actor: Any, project: Project, upload: Any, today: dt.date
) -> LegacyImportResult:
    """legacy_import for an uploaded file, refused by size before it is read."""
    _require_city_admin(actor)
    content = upload_read(upload, max_bytes=MAX_BYTES)
    return legacy_import(
        actor=actor,
        project=project,
        content=content,
        filename=getattr(upload, "name", "") or "",
        today=today,
    )
