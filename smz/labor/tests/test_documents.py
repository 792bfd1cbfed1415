"""Labor PDFs (L1–L3, 条例 Art.15/34): contract, pay slip, exit confirmation and notice board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from smz.labor.documents import (
    ContractData,
    ExitData,
    NoticeBoardData,
    PaySlipData,
    contract_pdf,
    exit_confirmation_pdf,
    notice_board_pdf,
    pay_slip_pdf,
)

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# 10:05 in Zhongshan; documents must print local time, not UTC.
GENERATED = dt.datetime(2026, 11, 29, 2, 5, tzinfo=dt.UTC)
PROJECT = "中山市小榄镇滨江花园二期住宅楼及地下室工程"
EMPLOYER = "中山市恒建劳务有限公司"
COMPLAINT_URL = "https://smz.zs.gov.cn/complaint/P4420002026010012"


def _contract(**changes: object) -> ContractData:
    data = ContractData(
        contract_no="HT2026110001",
        employer_name=EMPLOYER,
        employer_code="91442000MA4W1234X5",
        employer_address="中山市石岐街道民科西路 12 号",
        employer_rep="陈志强",
        worker_name="张德福",
        worker_id_masked="4420**********1234",
        worker_phone_masked="139****8765",
        worker_address="广西壮族自治区玉林市博白县东平镇",
        project_name=PROJECT,
        project_address="中山市小榄镇升平中路 88 号",
        team_name="钢筋一班",
        work_type="钢筋工",
        period_type="fixed",
        start_on=dt.date(2026, 9, 1),
        end_on=dt.date(2027, 6, 30),
        task_description="",
        wage_kind="daily",
        rate_fen=35000,
        piece_unit="",
        pay_day=15,
        special_account="中国工商银行中山分行 工资专用账户（尾号1234）",
        generated_at=GENERATED,
    )
    return dataclasses.replace(data, **changes)


def _slip(**changes: object) -> PaySlipData:
    data = PaySlipData(
        project_name=PROJECT,
        employer_name=EMPLOYER,
        team_name="钢筋一班",
        month="2026-10",
        worker_name="张德福",
        worker_id_masked="4420**********1234",
        bank_masked="中国农业银行 6228 **** **** 1234",
        days=25,
        hours="200.0",
        wage_kind_label="日工资",
        rate_fen=35000,
        gross_fen=875000,
        deductions=[("个人所得税", 0), ("借支（10月5日）", 50000)],
        net_fen=825000,
        paid_fen=825000,
        paid_on=dt.date(2026, 11, 12),
        pay_status_label="已发放",
        confirmed="2026-11-03 工人本人在线确认",
        generated_at=GENERATED,
    )
    return dataclasses.replace(data, **changes)


def _exit(**changes: object) -> ExitData:
    data = ExitData(
        project_name=PROJECT,
        employer_name=EMPLOYER,
        team_name="钢筋一班",
        worker_name="张德福",
        worker_id_masked="4420**********1234",
        entry_on=dt.date(2026, 8, 20),
        exit_on=dt.date(2026, 11, 28),
        days_attended=82,
        workload="绑扎钢筋 36.5 吨",
        months=[
            ("2026-08", 350000, 350000),
            ("2026-09", 910000, 910000),
            ("2026-10", 875000, 875000),
            ("2026-11", 840000, 600000),
        ],
        owed_fen=2975000,
        paid_fen=2735000,
        balance_fen=240000,
        generated_at=GENERATED,
    )
    return dataclasses.replace(data, **changes)


def _settled() -> ExitData:
    months = [("2026-08", 350000, 350000), ("2026-09", 910000, 910000)]
    return _exit(months=months, owed_fen=1260000, paid_fen=1260000, balance_fen=0)


def _board(**changes: object) -> NoticeBoardData:
    data = NoticeBoardData(
        project_name=PROJECT,
        project_address="中山市小榄镇升平中路 88 号",
        builder="中山市滨江置业有限公司",
        contractor="广东省建工集团有限公司",
        contractor_pm="王建国",
        subcontractors=["中山市恒建劳务有限公司（劳务分包）", "中山市安装工程有限公司（机电安装）"],
        authority="中山市住房和城乡建设局",
        authority_phone="0760-88888888",
        labor_inspection_phone="12333",
        labor_specialists=[
            ("广东省建工集团有限公司", "李明", "138 2233 4455"),
            (EMPLOYER, "陈志强", "0760-8765 4321"),
        ],
        minimum_wage="月最低工资标准 2,080 元；非全日制 20.3 元/小时",
        pay_day="每月15日前发放上月工资",
        complaint_url=COMPLAINT_URL,
        arbitration="中山市劳动人事争议仲裁院",
        legal_aid="中山市法律援助处；12348 公共法律服务热线",
        generated_at=GENERATED,
    )
    return dataclasses.replace(data, **changes)


def _poppler(tool: str, *args: str) -> bytes:
    """Run a poppler-utils tool; its absence fails the test because CI installs it."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], capture_output=True, check=True).stdout


def _write(tmp_path: Path, pdf: bytes, name: str = "doc.pdf") -> Path:
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def _text(path: Path) -> str:
    """The PDF's text with all whitespace removed, so wrapped lines compare whole."""
    return _squash(_poppler("pdftotext", "-enc", "UTF-8", str(path), "-").decode())


def _row(path: Path, label: str) -> str:
    """The laid-out line holding a label, whitespace removed: a table row with its values."""
    text = _poppler("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-").decode()
    return next(_squash(line) for line in text.splitlines() if label in line)


def _pages(path: Path) -> int:
    info = _poppler("pdfinfo", str(path)).decode()
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert match
    return int(match.group(1))


def _render_page1(path: Path, target: Path, dpi: int = 70) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = path.with_name(path.stem + f"-{dpi}")
    _poppler(
        "pdftoppm",
        "-png",
        "-r",
        str(dpi),
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        str(path),
        str(prefix),
    )
    shutil.copyfile(prefix.with_suffix(".png"), target)
    return target


# Contract (L1)


def test_contract_prints_parties_terms_wage_and_signature_blocks(tmp_path: Path) -> None:
    path = _write(tmp_path, contract_pdf(_contract()))
    text = _text(path)
    for expected in (
        "建筑工人简易劳动合同",
        "合同编号：HT2026110001",
        "生成时间：2026-11-2910:05",
        EMPLOYER,
        "91442000MA4W1234X5",
        "陈志强",
        "张德福",
        "4420**********1234",
        "139****8765",
        PROJECT,
        "钢筋工",
        "钢筋一班",
        "固定期限",
        "2026年9月1日",
        "2027年6月30日",
        "每日工作时间不超过8小时",
        "350.00元/日",
        "叁佰伍拾元整",
        "每月15日前支付上月工资",
        "中国工商银行中山分行工资专用账户（尾号1234）",
        "第三十一条",
        "不得以任何理由扣押或者变相扣押乙方的银行卡、社会保障卡和居民身份证",
        "工伤保险",
        "《退场确认书》",
        "12333",
        "甲方（盖章）",
        "法定代表人或委托代理人签字",
        "乙方（签字并按手印）",
        "按手印",
    ):
        assert _squash(expected) in text, expected
    assert _pages(path) <= 2
    # The contract number is in every page's footer, so loose pages can be matched up.
    assert text.count("合同编号：HT2026110001") == 1 + _pages(path)


def test_task_contract_and_piece_rate(tmp_path: Path) -> None:
    data = _contract(
        period_type="task",
        end_on=None,
        task_description="3#楼主体结构钢筋绑扎",
        wage_kind="piece",
        rate_fen=4550,
        piece_unit="平方米",
    )
    text = _text(_write(tmp_path, contract_pdf(data)))
    assert "以完成一定工作任务为期限" in text
    assert "3#楼主体结构钢筋绑扎工作任务完成时止" in text
    assert "45.50元/平方米" in text
    assert "每平方米肆拾伍元伍角整" in text
    assert "计件工资" in text


def test_monthly_contract_rate_in_words(tmp_path: Path) -> None:
    data = _contract(wage_kind="monthly", rate_fen=680000, employer_rep="")
    text = _text(_write(tmp_path, contract_pdf(data)))
    assert "6,800.00元/月" in text
    assert "每月陆仟捌佰元整" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period_type": "open"}, "period type"),
        ({"wage_kind": "hourly"}, "wage kind"),
        ({"end_on": None}, "end_on"),
        ({"end_on": dt.date(2026, 8, 1)}, "end_on before"),
        ({"wage_kind": "piece", "piece_unit": ""}, "piece_unit"),
        ({"pay_day": 0}, "pay_day"),
        ({"pay_day": 32}, "pay_day"),
        ({"rate_fen": 0}, "rate_fen"),
        ({"generated_at": dt.datetime(2026, 11, 29, 10, 5)}, "naive"),
    ],
)
def test_contract_refuses_inconsistent_data(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        contract_pdf(_contract(**changes))


def test_contract_escapes_what_people_type(tmp_path: Path) -> None:
    address = '<b>广西</b><img src="http://example.com/x.png"> & 玉林'
    text = _text(_write(tmp_path, contract_pdf(_contract(worker_address=address))))
    assert _squash(address) in text


def test_contract_embeds_a_cjk_font(tmp_path: Path) -> None:
    fonts = _poppler("pdffonts", str(_write(tmp_path, contract_pdf(_contract())))).decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows
    assert all(row[-5] == "yes" for row in rows), fonts
    assert rows and all("Noto-Sans-SC" in row[0] for row in rows), fonts


def test_contract_screenshot(tmp_path: Path) -> None:
    path = _write(tmp_path, contract_pdf(_contract()))
    png = _render_page1(path, SCREENSHOTS / "pdf-labor-contract.png")
    with Image.open(png) as img:
        # A4 at 70 dpi is 579 × 819 px.
        assert img.size == (579, 819)


# Pay slip (条例 Art.15)


def test_pay_slip_lists_time_gross_deductions_net_and_payment(tmp_path: Path) -> None:
    path = _write(tmp_path, pay_slip_pdf(_slip()))
    text = _text(path)
    for expected in (
        "工资清单",
        "第十五条",
        PROJECT,
        EMPLOYER,
        "钢筋一班",
        "2026年10月",
        "张德福",
        "4420**********1234",
        "中国农业银行6228********1234",
        "25天",
        "200.0小时",
        "日工资",
        "350.00元",
        "8,750.00元",
        "个人所得税0.00元",
        "借支（10月5日）−500.00元",
        "8,250.00元",
        "捌仟贰佰伍拾元整",
        "2026年11月12日",
        "已发放",
        "2026-11-03工人本人在线确认",
        "12333",
    ):
        assert _squash(expected) in text, expected
    assert _pages(path) == 1


def test_pay_slip_without_deductions_or_payment(tmp_path: Path) -> None:
    data = _slip(
        deductions=[],
        net_fen=875000,
        paid_fen=0,
        paid_on=None,
        pay_status_label="待发放",
        confirmed="未确认",
    )
    path = _write(tmp_path, pay_slip_pdf(data))
    assert _row(path, "无") == "无0.00元"
    assert _row(path, "支付日期") == "已支付金额0.00元支付日期—"
    assert _row(path, "本人确认") == "支付状态待发放本人确认未确认"


def test_pay_slip_refuses_lines_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="net_fen"):
        pay_slip_pdf(_slip(net_fen=875000))


# Exit confirmation (L3)


def test_exit_with_balance_states_it_in_figures_and_words(tmp_path: Path) -> None:
    path = _write(tmp_path, exit_confirmation_pdf(_exit()))
    text = _text(path)
    for expected in (
        "退场确认书",
        PROJECT,
        EMPLOYER,
        "张德福",
        "4420**********1234",
        "2026年8月20日",
        "2026年11月28日",
        "出勤82天",
        "绑扎钢筋36.5吨",
        "2026年11月8,400.006,000.002,400.00",
        "合计29,750.0027,350.002,400.00",
        "29,750.00元",
        "贰万玖仟柒佰伍拾元整",
        "贰万柒仟叁佰伍拾元整",
        "尚未支付人民币2,400.00元",
        "贰仟肆佰元整",
        "承诺于年月日前将上述未付工资足额支付",
        "12333",
        "可以不签字",
        "劳动者签字",
        "按手印",
        "用人单位（盖章）",
        "施工总承包单位劳资专管员（签字）",
        "生成时间：2026-11-2910:05",
    ):
        assert _squash(expected) in text, expected
    assert "工资已结清" not in text
    assert _pages(path) == 1


def test_settled_exit_says_wages_are_settled(tmp_path: Path) -> None:
    text = _text(_write(tmp_path, exit_confirmation_pdf(_settled())))
    assert "工资已结清" in text
    assert "壹万贰仟陆佰元整" in text
    assert "尚未支付" not in text
    assert "承诺于" not in text
    assert "按手印" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"balance_fen": 0}, "balance_fen must equal"),
        ({"owed_fen": 1}, "owed_fen"),
        ({"paid_fen": 1}, "paid_fen"),
        ({"exit_on": dt.date(2026, 8, 1)}, "exit_on"),
        (
            {
                "months": [("2026-08", 100, 300)],
                "owed_fen": 100,
                "paid_fen": 300,
                "balance_fen": -200,
            },
            "negative",
        ),
    ],
)
def test_exit_refuses_inconsistent_amounts(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        exit_confirmation_pdf(_exit(**changes))


def test_exit_confirmation_screenshot(tmp_path: Path) -> None:
    path = _write(tmp_path, exit_confirmation_pdf(_exit()))
    png = _render_page1(path, SCREENSHOTS / "pdf-exit-confirmation.png")
    with Image.open(png) as img:
        assert img.size == (579, 819)


# Notice board (条例 Art.34)


def test_notice_board_shows_parties_wages_channels_and_the_url(tmp_path: Path) -> None:
    path = _write(tmp_path, notice_board_pdf(_board()))
    text = _text(path)
    for expected in (
        "维权信息告示牌",
        "第三十四条",
        PROJECT,
        "中山市小榄镇升平中路88号",
        "中山市滨江置业有限公司",
        "广东省建工集团有限公司",
        "王建国",
        "中山市安装工程有限公司（机电安装）",
        "中山市住房和城乡建设局",
        "李明1382233 4455",
        "陈志强0760-87654321",
        "月最低工资标准2,080元",
        "每月15日前发放上月工资",
        "0760-88888888",
        "12333",
        "中山市劳动人事争议仲裁院",
        "12348公共法律服务热线",
        "扫码投诉欠薪",
        COMPLAINT_URL,
    ):
        assert _squash(expected) in text, expected
    assert _pages(path) == 1
    assert _poppler("pdfinfo", str(path)).decode().count("595.276 x 841.89") == 1


def test_notice_board_qr_code_decodes_to_the_complaint_url(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    path = _write(tmp_path, notice_board_pdf(_board()))
    # 150 dpi: what a phone camera sees of a printed A4 poster from a metre away, roughly.
    png = _render_page1(path, tmp_path / "board-150.png", dpi=150)
    decoded, _points, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(png)))
    assert decoded == COMPLAINT_URL


def test_notice_board_without_specialists_or_subcontractors(tmp_path: Path) -> None:
    path = _write(tmp_path, notice_board_pdf(_board(labor_specialists=[], subcontractors=[])))
    assert "未配备劳资专管员" in _text(path)
    assert _row(path, "分包单位") == "分包单位无"


def test_notice_board_needs_a_complaint_url() -> None:
    with pytest.raises(ValueError, match="complaint_url"):
        notice_board_pdf(_board(complaint_url=""))


def test_notice_board_screenshot(tmp_path: Path) -> None:
    path = _write(tmp_path, notice_board_pdf(_board()))
    png = _render_page1(path, SCREENSHOTS / "pdf-notice-board.png")
    with Image.open(png) as img:
        assert img.size == (579, 819)
