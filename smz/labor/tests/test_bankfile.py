"""The 总包代发 bank batch file (CSV/XLSX) and the bank's result file (L2)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from smz.labor.bankfile import (
    PAYMENT_COLUMNS,
    PaymentRow,
    ResultRow,
    payment_file_csv,
    payment_file_xlsx,
    result_file_parse,
)

SPECIAL_ACCOUNT = "44050178010100001234"  # 20 digits: a CCB-style corporate account
CARD = "6222021234567890123"  # 19-digit debit card: Excel would show 6.22202E+18
HEADER = [
    "明细编号",
    "付款账号",
    "付款户名",
    "收款账号",
    "收款户名",
    "收款行行别代码",
    "收款行名称",
    "金额（元）",
    "用途",
]


def _row(n: int = 1, **changes: object) -> PaymentRow:
    row = PaymentRow(
        line_ref=f"PB2026110001-{n:04d}",
        payer_account=SPECIAL_ACCOUNT,
        payer_name="广东省建工集团有限公司中山滨江花园项目农民工工资专用账户",
        payee_name="张德福",
        payee_account=CARD,
        payee_bank_code="102",
        payee_bank_name="中国工商银行",
        amount_fen=825000,
        purpose="2026年10月工资",
    )
    return dataclasses.replace(row, **changes)


def _batch() -> list[PaymentRow]:
    return [
        _row(1),
        _row(2, payee_name="李四", payee_account="6228480012345678", payee_bank_code="103",
             payee_bank_name="中国农业银行", amount_fen=10),
        _row(3, payee_name="王五", payee_account="6217000123456789012", payee_bank_code="105",
             payee_bank_name="中国建设银行", amount_fen=123456),
    ]  # fmt: skip


def _csv_lines(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# Payment file: CSV


def test_csv_is_utf8_with_bom_crlf_and_a_chinese_header() -> None:
    data = payment_file_csv(_batch())
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:]
    assert body.count(b"\r\n") == 4
    assert b"\n" not in body.replace(b"\r\n", b"")
    lines = _csv_lines(data)
    assert lines[0] == HEADER
    assert lines[1] == [
        "PB2026110001-0001",
        SPECIAL_ACCOUNT,
        "广东省建工集团有限公司中山滨江花园项目农民工工资专用账户",
        CARD,
        "张德福",
        "102",
        "中国工商银行",
        "8250.00",
        "2026年10月工资",
    ]
    assert [line[7] for line in lines[1:]] == ["8250.00", "0.10", "1234.56"]


def test_csv_quotes_a_comma_in_a_name() -> None:
    data = payment_file_csv([_row(payer_name="中山市某建筑有限公司,第一分公司")])
    assert '"中山市某建筑有限公司,第一分公司"'.encode() in data
    assert _csv_lines(data)[1][2] == "中山市某建筑有限公司,第一分公司"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"payee_account": "6.22202E+18"}, "payee_account"),
        ({"payee_account": "62220"}, "payee_account"),
        ({"payer_account": ""}, "payer_account"),
        ({"payee_bank_code": "1020"}, "payee_bank_code"),
        ({"amount_fen": 0}, "positive"),
        ({"amount_fen": -100}, "positive"),
        ({"payee_name": '=HYPERLINK("http://x")'}, "formula"),
        ({"payee_name": "-张三"}, "formula"),
        ({"purpose": "10月\n工资"}, "line break"),
        ({"payee_name": ""}, "empty"),
        ({"line_ref": " PB1"}, "padded"),
    ],
)
def test_a_bad_line_stops_the_export(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        payment_file_csv([_row(1), _row(2, **changes)])
    with pytest.raises(ValueError, match=message):
        payment_file_xlsx([_row(1), _row(2, **changes)])


def test_export_refuses_float_amounts_duplicates_and_empty_batches() -> None:
    with pytest.raises(TypeError):
        payment_file_csv([_row(amount_fen=8250.0)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicate"):
        payment_file_csv([_row(1), _row(1)])
    with pytest.raises(ValueError, match="at least one"):
        payment_file_csv([])


# Payment file: XLSX


def test_xlsx_keeps_card_numbers_as_text() -> None:
    data = payment_file_xlsx(_batch())
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "代发明细"
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == HEADER
    assert rows[1][3] == CARD
    assert rows[3][3] == "6217000123456789012"
    assert [r[1] for r in rows[1:]] == [SPECIAL_ACCOUNT] * 3
    assert [r[7] for r in rows[1:]] == ["8250.00", "0.10", "1234.56"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s", cell.coordinate
            assert cell.number_format == "@", cell.coordinate
    assert ws.freeze_panes == "A2"


def test_xlsx_stores_the_card_digits_not_a_number() -> None:
    data = payment_file_xlsx([_row()])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    # openpyxl writes text cells inline: the card number is a string element, never a number.
    assert re.search(rf'<c r="D2"[^>]* t="inlineStr"><is><t>{CARD}</t></is></c>', sheet)
    assert "E+" not in sheet
    assert 't="n"' not in sheet


# Result file


def _result_csv(rows: list[list[str]], *, encoding: str = "gbk", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", delimiter=delimiter)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


RESULT_HEADER = [
    "明细编号",
    "收款户名",
    "收款账号",
    "金额",
    "处理状态",
    "银行流水号",
    "失败原因",
    "交易日期",
]


def test_round_trip_through_a_gbk_bank_result() -> None:
    exported = _csv_lines(payment_file_csv(_batch()))[1:]
    # The bank answers in GBK, with its own column names and order and a title line above the header.
    result = [["中国工商银行代发工资处理结果"], RESULT_HEADER]
    outcomes = [
        ("成功", "2026111200012345", "", "20261112"),
        ("失败", "", "户名与账号不符", ""),
        ("成功", "2026111200012347", "", "2026-11-12"),
    ]
    for line, (status, serial, reason, day) in zip(exported, outcomes, strict=True):
        amount = f"{int(line[7].split('.')[0]):,}.{line[7].split('.')[1]}"
        result.append([line[0], line[4], line[3], amount, status, serial, reason, day])
    parsed = result_file_parse(_result_csv(result), "代发结果.csv")
    assert parsed.errors == []
    assert parsed.rows == [
        ResultRow(
            "PB2026110001-0001", "paid", 825000, "2026111200012345", "", dt.date(2026, 11, 12)
        ),
        ResultRow("PB2026110001-0002", "failed", 10, "", "户名与账号不符", None),
        ResultRow(
            "PB2026110001-0003", "paid", 123456, "2026111200012347", "", dt.date(2026, 11, 12)
        ),
    ]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")],
)
def test_result_csv_encodings(encoding: str, prefix: bytes) -> None:
    data = prefix + _result_csv(
        [
            ["明细编号", "状态", "金额（元）"],
            ["PB1-0001", "成功", "88.00"],
            ["PB1-0002", "失败", ""],
        ],
        encoding=encoding,
    )
    parsed = result_file_parse(data, "result.csv")
    assert parsed.errors == []
    assert [(r.line_ref, r.status, r.amount_fen) for r in parsed.rows] == [
        ("PB1-0001", "paid", 8800),
        ("PB1-0002", "failed", None),
    ]


def test_result_csv_tab_separated_utf16_from_excel() -> None:
    text = "明细编号\t处理状态\t金额\r\nPB1-0001\tS\t1,234.50\r\n"
    parsed = result_file_parse(text.encode("utf-16"), "result.txt")
    assert parsed.errors == []
    assert parsed.rows[0].amount_fen == 123450


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("成功", "paid"),
        ("失败", "failed"),
        ("success", "paid"),
        ("SUCCESS", "paid"),
        ("failed", "failed"),
        ("S", "paid"),
        ("f", "failed"),
        (" 成功 ", "paid"),
    ],
)
def test_status_words(word: str, status: str) -> None:
    data = _result_csv([["明细编号", "处理状态"], ["PB1-0001", word]], encoding="utf-8")
    assert result_file_parse(data, "r.csv").rows[0].status == status


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0.10", 10), ("0.1", 10), ("1,234.56", 123456), ("1234.5", 123450), ("7", 700)],
)
def test_result_amounts_are_exact(text: str, fen: int) -> None:
    data = _result_csv(
        [["明细编号", "处理状态", "金额"], ["PB1-0001", "成功", text]], encoding="utf-8"
    )
    parsed = result_file_parse(data, "r.csv")
    assert parsed.errors == []
    assert parsed.rows[0].amount_fen == fen


def test_mixed_good_and_bad_rows_keep_the_good_and_report_the_bad() -> None:
    rows = [
        RESULT_HEADER,
        ["PB1-0001", "张三", CARD, "100.00", "成功", "S001", "", "20261112"],  # line 2: good
        ["PB1-0002", "李四", CARD, "12.345", "成功", "S002", "", "20261112"],  # line 3: 3 decimals
        ["PB1-0003", "王五", CARD, "50.00", "处理中", "", "", ""],  # line 4: not final
        ["", "赵六", CARD, "60.00", "成功", "S004", "", "20261112"],  # line 5: no reference
        ["PB1-0005", "钱七", CARD, "70.00", "失败", "", "账户已销户", ""],  # line 6: good
        ["PB1-0006", "孙八", CARD, "80.00", "成功", "S006", "", "2026-13-01"],  # line 7: bad date
        [""] * 8,  # line 8: blank, ignored
        ["PB1-0001", "张三", CARD, "100.00", "失败", "", "重复", ""],  # line 9: duplicate
        ["PB1-0009", "周九", CARD, "abc", "", "", "", "x"],  # line 10: three problems
        ["PB1-0010", "吴十", CARD, "1,000.00", "success", "S010", "", "2026/11/12"],  # 11: good
    ]
    parsed = result_file_parse(_result_csv(rows), "r.csv")
    assert [(r.line_ref, r.status, r.amount_fen) for r in parsed.rows] == [
        ("PB1-0001", "paid", 10000),
        ("PB1-0005", "failed", 7000),
        ("PB1-0010", "paid", 100000),
    ]
    assert parsed.rows[1].reason == "账户已销户"
    assert parsed.rows[2].paid_on == dt.date(2026, 11, 12)
    assert [(line, column) for line, column, _ in parsed.errors] == [
        (3, "金额（元）"),
        (4, "处理状态"),
        (5, "明细编号"),
        (7, "入账日期"),
        (9, "明细编号"),
        (10, "处理状态"),
        (10, "金额（元）"),
        (10, "入账日期"),
    ]
    reasons = {(line, column): reason for line, column, reason in parsed.errors}
    assert "超过两位小数" in reasons[(3, "金额（元）")]
    assert "处理中" in reasons[(4, "处理状态")]
    assert reasons[(5, "明细编号")] == "明细编号为空"
    assert "YYYY-MM-DD" in reasons[(7, "入账日期")]
    assert "第 2 行" in reasons[(9, "明细编号")]
    assert "处理状态为空" in reasons[(10, "处理状态")]


def test_result_xlsx_with_numeric_and_date_cells() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "客户流水号", "交易金额", "交易状态", "银行交易流水号", "备注", "入账日期"])
    ws.append([1, "PB1-0001", 1234.5, "S", 2026111200012345, None, dt.datetime(2026, 11, 12)])
    ws.append([2, "PB1-0002", 0.1, "F", None, "卡状态异常", None])
    ws.append([3, "PB1-0003", 8800, "成功", "S3", None, "20261112"])
    ws.append([4, "PB1-0004", 12.345, "成功", "S4", None, "20261112"])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = result_file_parse(buf.getvalue(), "回单.XLSX")
    assert parsed.rows == [
        ResultRow("PB1-0001", "paid", 123450, "2026111200012345", "", dt.date(2026, 11, 12)),
        ResultRow("PB1-0002", "failed", 10, "", "卡状态异常", None),
        ResultRow("PB1-0003", "paid", 880000, "S3", "", dt.date(2026, 11, 12)),
    ]
    assert [(line, column) for line, column, _ in parsed.errors] == [(5, "金额（元）")]


def test_our_own_xlsx_is_readable_as_a_result_header() -> None:
    # A clerk may add a status column to the exported workbook and upload it back.
    wb = load_workbook(io.BytesIO(payment_file_xlsx(_batch())))
    ws = wb.active
    ws["J1"] = "处理状态"
    for row in range(2, 5):
        ws[f"J{row}"] = "成功"
    buf = io.BytesIO()
    wb.save(buf)
    parsed = result_file_parse(buf.getvalue(), "back.xlsx")
    assert parsed.errors == []
    assert [r.amount_fen for r in parsed.rows] == [825000, 10, 123456]


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "r.xlsx", "XLSX"),
        (b"\x81\x30\x81", "r.csv", "编码"),
        ("姓名,金额\r\n张三,1.00\r\n".encode("gbk"), "r.csv", "未找到表头"),
        (b"", "r.csv", "未找到表头"),
    ],
)
def test_unreadable_files_are_reported_not_raised(data: bytes, filename: str, reason: str) -> None:
    parsed = result_file_parse(data, filename)
    assert parsed.rows == []
    assert len(parsed.errors) == 1
    assert reason in parsed.errors[0][2]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=20))
def test_amounts_survive_export_and_bank_answer(amounts: list[int]) -> None:
    batch = [_row(i, amount_fen=fen) for i, fen in enumerate(amounts, start=1)]
    exported = _csv_lines(payment_file_csv(batch))[1:]
    answer = [["明细编号", "处理状态", "金额（元）"]] + [
        [line[0], "成功", line[7]] for line in exported
    ]
    parsed = result_file_parse(_result_csv(answer), "r.csv")
    assert parsed.errors == []
    assert [r.amount_fen for r in parsed.rows] == amounts


def test_xlsx_header_is_text_amounts_right_aligned_columns_sized() -> None:
    """As the in-memory workbook had it before the file streamed (checked cell by cell against 45de42c)."""
    ws = load_workbook(io.BytesIO(payment_file_xlsx(_batch()))).active
    assert [c.number_format for c in ws[1]] == ["@"] * len(PAYMENT_COLUMNS)
    amount = [c.alignment.horizontal for c in ws["H"]]
    assert amount == [None, "right", "right", "right"]
    assert {c.alignment.horizontal for c in ws["D"]} == {None}
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert [widths[chr(ord("A") + i)] for i in range(len(PAYMENT_COLUMNS))] == [
        w for _, w in PAYMENT_COLUMNS
    ]
