"""Exports that grow with the data (N5, issue 17 goal 4): written to an unnamed temporary file, never built in
memory, and streamed from that file; the file is gone when the response is closed (or, on Linux, whenever the
process ends: it never has a name).

An .xlsx is written with openpyxl's write-only workbook: each sheet's rows go to openpyxl's own temporary file as
they are appended and no cell is kept, and `save` zips those files into ours. The export's rows must come from a
generator or a queryset's `.iterator(chunk_size=…)` so that nothing else holds them either. A CSV is written row by
row the same way. The whole file is written before the response is returned, so a refusal or a failure halfway
(a permission, a bad bank row) is still an ordinary error answer and no half file leaves the server.

Every export whose size follows the data uses `xlsx_download` or `csv_download`; small fixed-size files (an
import template, a monthly report's summary) may still be written in memory."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet import _writer as openpyxl_writer

from smz.core.xlsx import safe_cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv"
# Bytes per chunk sent (FileResponse's default is 4 KB).
BLOCK_SIZE = 64 * 1024


def xlsx_file(write: Callable[[Workbook], object]) -> IO[bytes]:
    """`write` fills a write-only workbook; the saved .xlsx in an unnamed temporary file, at its start."""
    book = Workbook(write_only=True)
    handle = tempfile.TemporaryFile(prefix="smz-export-", suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    try:
        write(book)
        book.save(handle)
    except BaseException:
        handle.close()
        _sheet_files_remove(book)
        raise
    handle.seek(0)
    return handle


def xlsx_download(write: Callable[[Workbook], object], filename: str) -> FileResponse:
    """An .xlsx download streamed from its temporary file (see xlsx_file)."""
    return _download(xlsx_file(write), filename, XLSX_CONTENT_TYPE)


def csv_file(
    rows: Iterable[Sequence[Any]], *, bom: bool = True, lineterminator: str = "\r\n"
) -> IO[bytes]:
    """The rows as CSV (UTF-8, with a BOM by default so that Excel reads Chinese) in an unnamed temporary file,
    at its start. The cells are written as given: the caller makes them safe."""
    handle = tempfile.TemporaryFile(prefix="smz-export-", suffix=".csv")  # noqa: SIM115 (the response closes it)
    try:
        if bom:
            handle.write(codecs.BOM_UTF8)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        csv.writer(text, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL).writerows(rows)
        text.flush()
        text.detach()
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def csv_download(
    rows: Iterable[Sequence[Any]], filename: str, *, bom: bool = True, lineterminator: str = "\r\n"
) -> FileResponse:
    """A CSV download streamed from its temporary file (see csv_file)."""
    return _download(
        csv_file(rows, bom=bom, lineterminator=lineterminator), filename, CSV_CONTENT_TYPE
    )


def styled(sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
    """A write-only cell with a style (font, fill, alignment, number_format); the value through safe_cell."""
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def attachment[R: HttpResponseBase](response: R, filename: str) -> R:
    """A download's headers: the filename RFC 5987-encoded (Chinese names survive every browser), not cached."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _download(handle: IO[bytes], filename: str, content_type: str) -> FileResponse:
    # No filename= given to FileResponse: it would keep only the part after a "/" of a project's name.
    response = FileResponse(handle, content_type=content_type)
    response.block_size = BLOCK_SIZE
    return attachment(response, filename)


def _sheet_files_remove(book: Workbook) -> None:
    """After a failed export: close and remove the sheets' temporary files openpyxl made (it removes them only on a
    successful save, or when the process exits)."""
    for sheet in book.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if sheet._rows is not None:
                sheet._rows.close()
            writer.close()
        if os.path.exists(writer.out):
            os.remove(writer.out)
        with contextlib.suppress(ValueError):
            openpyxl_writer.ALL_TEMP_FILES.remove(writer.out)
