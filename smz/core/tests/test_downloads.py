"""smz.core.downloads (N5, issue 17 goal 4): an export is written to an unnamed temporary file and streamed from
it; the file and openpyxl's sheet files are gone when the response is closed, or when the export fails halfway;
memory does not follow the rows."""

from __future__ import annotations

import codecs
import io
import tempfile
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet import _writer as openpyxl_writer

from smz.core.downloads import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_download,
    styled,
    xlsx_download,
    xlsx_file,
)


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """Every temporary file (ours and openpyxl's) made in a folder of this test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _rows(n: int) -> Iterator[list[Any]]:
    for i in range(n):
        yield [i, f"测试{i:06d}", "=1+1", f"4420{i:014d}", i / 7]


def _write(n: int):
    def write(book: Workbook) -> None:
        sheet = book.create_sheet("人员")
        sheet.append([styled(sheet, "序号", number_format="@"), "姓名", "公式", "编号", "数"])
        for row in _rows(n):
            sheet.append([styled(sheet, v) for v in row])

    return write


def _body(response: Any) -> bytes:
    """Read as the server does, then close (closing sends request_finished, whose handlers touch the database:
    hence the db fixture of the tests that call this)."""
    chunks = list(response.streaming_content)
    response.close()
    return b"".join(chunks)


def test_xlsx_download_streams_from_a_temporary_file_removed_on_close(db, temp_dir):
    response = xlsx_download(_write(3), "项目人员_A/B栋_20261205.xlsx")
    assert response.streaming and response["Content-Type"] == XLSX_CONTENT_TYPE
    # The whole name, "/" included, RFC 5987-encoded as registry's xlsx_response wrote it.
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E9%A1%B9%E7%9B%AE%E4%BA%BA%E5%91%98_A/B%E6%A0%8B_20261205.xlsx"
    )
    assert response["Cache-Control"] == "private, no-store"
    handle = response.file_to_stream
    assert not handle.closed
    assert list(temp_dir.iterdir()) == []  # openpyxl's sheet files removed; ours has no name
    content = _body(response)
    assert handle.closed
    assert int(response["Content-Length"]) == len(content)
    sheet = load_workbook(io.BytesIO(content))["人员"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "公式", "编号", "数")
    assert rows[1:] == [(0, "测试000000", "'=1+1", "442000000000000000", 0.0), *rows[2:]]
    assert len(rows) == 4 and sheet["A1"].number_format == "@"
    assert list(temp_dir.iterdir()) == []


def test_an_export_failing_halfway_leaves_no_file(temp_dir):
    def write(book: Workbook) -> None:
        first, second = book.create_sheet("一"), book.create_sheet("二")
        for row in _rows(50):
            first.append(row)
            second.append(row)
        raise RuntimeError("a bad row")

    before = list(openpyxl_writer.ALL_TEMP_FILES)
    with pytest.raises(RuntimeError, match="a bad row"):
        xlsx_download(write, "x.xlsx")
    assert list(temp_dir.iterdir()) == []
    assert before == openpyxl_writer.ALL_TEMP_FILES


def test_csv_download_is_utf8_with_bom_and_crlf(db, temp_dir):
    rows = iter([["明细编号", "收款户名"], ["PB1-0001", "张三,李四"], ["PB1-0002", '说"明']])
    response = csv_download(rows, "PB1.csv")
    assert response["Content-Type"] == CSV_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="PB1.csv"'
    assert _body(response) == codecs.BOM_UTF8 + (
        '明细编号,收款户名\r\nPB1-0001,"张三,李四"\r\nPB1-0002,"说""明"\r\n'.encode()
    )
    assert list(temp_dir.iterdir()) == []


def test_a_failing_csv_leaves_no_file(temp_dir):
    def rows() -> Iterator[list[str]]:
        yield ["a"]
        raise ValueError("bad line")

    with pytest.raises(ValueError, match="bad line"):
        csv_download(rows(), "x.csv")
    assert list(temp_dir.iterdir()) == []


def _peak_mb(write) -> float:
    tracemalloc.start()
    try:
        with xlsx_file(write):
            pass
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_memory_does_not_follow_the_rows():
    """Eight times the rows, about the same peak: the rows are written as they come (a workbook built in memory
    holds every cell: its peak grows with them, as the last assertion shows)."""
    small, big = _peak_mb(_write(500)), _peak_mb(_write(4000))
    assert big < small * 1.5 + 0.5, (small, big)

    def in_memory(n: int):
        def write(book: Workbook) -> None:
            kept = Workbook()
            for row in _rows(n):
                kept.active.append(row)
            _write(1)(book)

        return write

    assert _peak_mb(in_memory(4000)) > 3 * _peak_mb(in_memory(500))
