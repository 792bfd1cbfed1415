"""The generic bank batch file for 总包代发 (L2) and the bank's result file (docs/interfaces/bank-file.md)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from smz.core.downloads import csv_file, styled, xlsx_file
from smz.core.money import parse_yuan, yuan
from smz.core.uploads import xlsx_check
from smz.core.xlsx import FORMULA_PREFIXES

# The bureau never published a layout. Banks accept CSV or Excel batches with these columns under their
# own names, so the result parser takes several header aliases, UTF-8 or GBK, and CSV or XLSX.
# Columns of the payment file, in order: (header, width in Excel characters).
PAYMENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("明细编号", 22),
    ("付款账号", 24),
    ("付款户名", 30),
    ("收款账号", 24),
    ("收款户名", 12),
    ("收款行行别代码", 10),
    ("收款行名称", 24),
    ("金额（元）", 14),
    ("用途", 18),
)
_ACCOUNT_COLUMNS = {"付款账号", "收款账号", "收款行行别代码", "明细编号"}
_ACCOUNT = re.compile(r"[0-9]{6,32}", re.ASCII)
_BANK_CODE = re.compile(r"[0-9]{3}", re.ASCII)
# A cell starting with one of these runs as a formula when a person opens the file in a spreadsheet.
_FORMULA_START = FORMULA_PREFIXES

STATUS_WORDS = {
    "成功": "paid",
    "交易成功": "paid",
    "success": "paid",
    "succeeded": "paid",
    "s": "paid",
    "失败": "failed",
    "交易失败": "failed",
    "failed": "failed",
    "fail": "failed",
    "f": "failed",
}
# Result file headers: canonical name → accepted spellings (compared after _norm_header).
RESULT_HEADERS: dict[str, tuple[str, ...]] = {
    "明细编号": ("明细编号", "业务参考号", "客户流水号", "商户流水号", "line_ref"),
    "处理状态": ("处理状态", "状态", "交易状态", "处理结果", "status"),
    "金额（元）": ("金额（元）", "金额", "交易金额", "实付金额", "amount"),
    "银行流水号": ("银行流水号", "流水号", "银行交易流水号", "bank_serial"),
    "失败原因": ("失败原因", "原因", "备注", "reason"),
    "入账日期": ("入账日期", "交易日期", "处理日期", "paid_on"),
}
_REQUIRED = ("明细编号", "处理状态")
_HEADER_SCAN_ROWS = 10
MAX_RESULT_ROWS = 50_000


@dataclass(frozen=True)
class PaymentRow:
    """One transfer of the batch: from the project's wage special account to one worker's own card."""

    line_ref: str
    payer_account: str
    payer_name: str
    payee_name: str
    payee_account: str
    payee_bank_code: str
    payee_bank_name: str
    amount_fen: int
    purpose: str


@dataclass(frozen=True)
class ResultRow:
    """The bank's answer for one line: paid (with serial and date) or failed (with a reason)."""

    line_ref: str
    status: str
    amount_fen: int | None
    bank_serial: str
    reason: str
    paid_on: dt.date | None


@dataclass(frozen=True)
class ResultParse:
    """Valid rows and the rejected ones as (line number, column, reason in Chinese); nothing is dropped silently."""

    rows: list[ResultRow]
    errors: list[tuple[int, str, str]]


def _check_text(ref: str, name: str, value: str) -> None:
    if not value or value != value.strip() or "\n" in value or "\r" in value:
        raise ValueError(f"{ref}: {name} is empty, padded or has a line break")
    if value.startswith(_FORMULA_START):
        raise ValueError(f"{ref}: {name} starts with a spreadsheet formula character")


def _cells(rows: list[PaymentRow]) -> Iterator[list[str]]:
    """Validate the batch and yield each line's cells as text; a bad batch must not reach the bank."""
    if not rows:
        raise ValueError("payment file needs at least one row")
    seen: set[str] = set()
    for row in rows:
        ref = row.line_ref
        for name in ("line_ref", "payer_name", "payee_name", "payee_bank_name", "purpose"):
            _check_text(ref, name, getattr(row, name))
        if ref in seen:
            raise ValueError(f"duplicate line_ref {ref}")
        seen.add(ref)
        for name in ("payer_account", "payee_account"):
            if not _ACCOUNT.fullmatch(getattr(row, name)):
                raise ValueError(f"{ref}: {name} must be 6 to 32 digits")
        if not _BANK_CODE.fullmatch(row.payee_bank_code):
            raise ValueError(f"{ref}: payee_bank_code must be 3 digits")
        if isinstance(row.amount_fen, bool) or not isinstance(row.amount_fen, int):
            raise TypeError(f"{ref}: amount_fen must be int")
        if row.amount_fen <= 0:
            raise ValueError(f"{ref}: amount_fen must be positive")
        yield [
            ref,
            row.payer_account,
            row.payer_name,
            row.payee_account,
            row.payee_name,
            row.payee_bank_code,
            row.payee_bank_name,
            yuan(row.amount_fen, grouping=False),
            row.purpose,
        ]


def payment_file_rows(rows: list[PaymentRow]) -> Iterator[list[str]]:
    """The batch as CSV rows: one Chinese header line, then each line's cells (validated)."""
    yield [name for name, _ in PAYMENT_COLUMNS]
    yield from _cells(rows)


def payment_file_csv(rows: list[PaymentRow]) -> bytes:
    """The batch as CSV: UTF-8 with BOM (so Excel reads the Chinese), CRLF, one Chinese header line. The download
    streams the same file (smz.core.downloads.csv_download of payment_file_rows)."""
    with csv_file(payment_file_rows(rows)) as handle:
        return handle.read()


def payment_file_sheet(book: Workbook, rows: list[PaymentRow]) -> None:
    """The batch written into a write-only workbook (smz.core.downloads) with every cell stored as text, so
    19-digit card numbers keep all their digits."""
    ws = book.create_sheet("代发明细")
    for col, (_, width) in enumerate(PAYMENT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    right = Alignment(horizontal="right")
    # Every value is a str already; the "@" (Text) format keeps it text when a clerk edits the cell in Excel,
    # which would otherwise turn a card number into 6.22E+18.
    ws.append([styled(ws, name, number_format="@") for name, _ in PAYMENT_COLUMNS])
    amount = [name for name, _ in PAYMENT_COLUMNS].index("金额（元）")
    for cells in _cells(rows):
        ws.append(
            [
                styled(ws, value, number_format="@", alignment=right)
                if col == amount
                else styled(ws, value, number_format="@")
                for col, value in enumerate(cells)
            ]
        )


def payment_file_xlsx(rows: list[PaymentRow]) -> bytes:
    """The batch as XLSX (payment_file_sheet); the download streams the same workbook."""
    with xlsx_file(lambda book: payment_file_sheet(book, rows)) as handle:
        return handle.read()


# Result file


def _decode(data: bytes) -> str:
    """Bank exports are UTF-8 (with or without BOM), UTF-16 from Excel's "Unicode text", or GBK."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # GB18030 is a superset of GBK and GB2312, so it reads all three.
        return data.decode("gb18030")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    # The header may sit below a title line, so judge the delimiter on the first few lines.
    sample = [line for line in text.splitlines() if line.strip()][:_HEADER_SCAN_ROWS]
    delimiter = max(
        (",", "\t", "|", ";"), key=lambda d: max((s.count(d) for s in sample), default=0)
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        yield reader.line_num, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Excel stores whole numbers as floats; 1234.0 is "1234", not a fractional amount.
        return str(int(value))
    # str(float) is the shortest text that reads back to the same number: what Excel shows.
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    xlsx_check(data)
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        wb.close()


def _norm_header(value: str) -> str:
    value = value.replace("\ufeff", "").strip().lower()
    return value.replace("(", "（").replace(")", "）").replace(" ", "")


_ALIASES = {
    _norm_header(alias): canonical
    for canonical, aliases in RESULT_HEADERS.items()
    for alias in aliases
}


def _header_map(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        canonical = _ALIASES.get(_norm_header(cell))
        if canonical and canonical not in found:
            found[canonical] = index
    return found


def _parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError(f"日期“{text}”格式不正确，应为 YYYY-MM-DD 或 YYYYMMDD")


def _row(
    line: int, cells: list[str], columns: dict[str, int]
) -> ResultRow | list[tuple[int, str, str]]:
    """One data row → a ResultRow, or every problem found in it."""

    def get(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    errors: list[tuple[int, str, str]] = []
    ref = get("明细编号")
    if not ref:
        errors.append((line, "明细编号", "明细编号为空"))
    raw_status = get("处理状态")
    status = STATUS_WORDS.get(raw_status.lower())
    if status is None:
        reason = "处理状态为空" if not raw_status else f"处理状态“{raw_status}”无法识别"
        errors.append((line, "处理状态", reason + "（应为 成功/失败、success/failed 或 S/F）"))
    amount: int | None = None
    if raw_amount := get("金额（元）"):
        try:
            amount = parse_yuan(raw_amount)
        except ValueError as exc:
            errors.append((line, "金额（元）", str(exc)))
    paid_on: dt.date | None = None
    if raw_date := get("入账日期"):
        try:
            paid_on = _parse_date(raw_date)
        except ValueError as exc:
            errors.append((line, "入账日期", str(exc)))
    if errors or status is None:
        return errors
    return ResultRow(
        line_ref=ref,
        status=status,
        amount_fen=amount,
        bank_serial=get("银行流水号"),
        reason=get("失败原因"),
        paid_on=paid_on,
    )


def result_file_parse(data: bytes, filename: str) -> ResultParse:
    """Read the bank's result file (CSV in UTF-8/GBK, or XLSX); bad rows are reported, valid rows kept."""
    is_xlsx = filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")
    try:
        lines = list(_xlsx_rows(data) if is_xlsx else _csv_rows(data))
    except UnicodeDecodeError:
        return ResultParse(
            rows=[], errors=[(0, "", "文件编码无法识别（应为 UTF-8 或 GBK 编码的 CSV）")]
        )
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        return ResultParse(rows=[], errors=[(0, "", f"无法读取 XLSX 文件（{type(exc).__name__}）")])
    except csv.Error as exc:
        return ResultParse(rows=[], errors=[(0, "", f"CSV 格式错误：{exc}")])

    header_at, columns = 0, {}
    for position, (_, cells) in enumerate(lines[:_HEADER_SCAN_ROWS]):
        found = _header_map(cells)
        if all(name in found for name in _REQUIRED):
            header_at, columns = position, found
            break
    if not columns:
        return ResultParse(
            rows=[], errors=[(1, "", "未找到表头：结果文件须有“明细编号”“处理状态”两列")]
        )

    rows: list[ResultRow] = []
    errors: list[tuple[int, str, str]] = []
    first_line: dict[str, int] = {}
    data_lines = [(n, c) for n, c in lines[header_at + 1 :] if any(cell.strip() for cell in c)]
    if len(data_lines) > MAX_RESULT_ROWS:
        return ResultParse(
            rows=[], errors=[(0, "", f"结果文件超过 {MAX_RESULT_ROWS} 行，请分批导入")]
        )
    for line, cells in data_lines:
        parsed = _row(line, cells, columns)
        if isinstance(parsed, list):
            errors.extend(parsed)
            continue
        if parsed.line_ref in first_line:
            # Two answers for one transfer cannot both be true; keep the first, flag the second.
            errors.append(
                (line, "明细编号", f"明细编号重复（与第 {first_line[parsed.line_ref]} 行相同）")
            )
            continue
        first_line[parsed.line_ref] = line
        rows.append(parsed)
    return ResultParse(rows=rows, errors=errors)
