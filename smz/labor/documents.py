"""Labor PDFs: contract (L1), pay slip (L2, 条例 Art.15), exit confirmation (L3), notice board (Art.34)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import segno

from smz.core.money import yuan, yuan_in_words
from smz.core.pdf import city_stamp, cn_date, template_pdf

PERIOD_TYPES = {"fixed": "固定期限", "task": "以完成一定工作任务为期限"}
WAGE_KINDS = {"daily": "日工资", "monthly": "月工资", "piece": "计件工资"}
PLATFORM = "中山市房屋建筑和市政基础设施工程项目施工现场实名制管理平台"


@dataclass(frozen=True)
class ContractData:
    """What the pre-filled 建筑工人简易劳动合同 prints; identity fields arrive already masked."""

    contract_no: str
    employer_name: str
    employer_code: str
    employer_address: str
    employer_rep: str
    worker_name: str
    worker_id_masked: str
    worker_phone_masked: str
    worker_address: str
    project_name: str
    project_address: str
    team_name: str
    work_type: str
    period_type: str
    start_on: dt.date
    end_on: dt.date | None
    task_description: str
    wage_kind: str
    rate_fen: int
    piece_unit: str
    pay_day: int
    special_account: str
    generated_at: dt.datetime


@dataclass(frozen=True)
class PaySlipData:
    """One worker's 工资清单 for one month (条例 Art.15)."""

    project_name: str
    employer_name: str
    team_name: str
    month: str
    worker_name: str
    worker_id_masked: str
    bank_masked: str
    days: int
    hours: str
    wage_kind_label: str
    rate_fen: int
    gross_fen: int
    deductions: list[tuple[str, int]]
    net_fen: int
    paid_fen: int
    paid_on: dt.date | None
    pay_status_label: str
    confirmed: str
    generated_at: dt.datetime


@dataclass(frozen=True)
class ExitData:
    """退场确认书 (ExitConfirmation): attendance, workload and wage settlement at a worker's exit."""

    project_name: str
    employer_name: str
    team_name: str
    worker_name: str
    worker_id_masked: str
    entry_on: dt.date
    exit_on: dt.date
    days_attended: int
    workload: str
    months: list[tuple[str, int, int]]
    owed_fen: int
    paid_fen: int
    balance_fen: int
    generated_at: dt.datetime


@dataclass(frozen=True)
class NoticeBoardData:
    """维权信息告示牌 of a project (条例 Art.34); phones print as given because they are meant to be called."""

    project_name: str
    project_address: str
    builder: str
    contractor: str
    contractor_pm: str
    subcontractors: list[str]
    authority: str
    authority_phone: str
    labor_inspection_phone: str
    labor_specialists: list[tuple[str, str, str]]
    minimum_wage: str
    pay_day: str
    complaint_url: str
    arbitration: str
    legal_aid: str
    generated_at: dt.datetime


def _month(value: str) -> str:
    """ "2026-10" → "2026年10月"; anything else prints as given."""
    year, _, month = value.partition("-")
    if year.isdigit() and month.isdigit():
        return f"{int(year)}年{int(month)}月"
    return value


def _rate_unit(data: ContractData) -> str:
    if data.wage_kind == "daily":
        return "元/日"
    if data.wage_kind == "monthly":
        return "元/月"
    return f"元/{data.piece_unit}"


def contract_pdf(data: ContractData) -> bytes:
    """The pre-filled simple labor contract (建筑工人简易劳动合同) as an A4 PDF with signature blocks."""
    if data.period_type not in PERIOD_TYPES:
        raise ValueError(f"unknown period type: {data.period_type!r}")
    if data.wage_kind not in WAGE_KINDS:
        raise ValueError(f"unknown wage kind: {data.wage_kind!r}")
    if data.period_type == "fixed" and data.end_on is None:
        raise ValueError("a fixed-term contract needs end_on")
    if data.end_on is not None and data.end_on < data.start_on:
        raise ValueError("end_on before start_on")
    if data.wage_kind == "piece" and not data.piece_unit:
        raise ValueError("a piece-rate contract needs piece_unit")
    if not 1 <= data.pay_day <= 31:
        raise ValueError("pay_day must be 1..31")
    if data.rate_fen <= 0:
        raise ValueError("rate_fen must be positive")
    context = {
        "d": data,
        "platform": PLATFORM,
        "generated_at": city_stamp(data.generated_at),
        "start_on": cn_date(data.start_on),
        "end_on": cn_date(data.end_on),
        "wage_kind_label": WAGE_KINDS[data.wage_kind],
        "rate": yuan(data.rate_fen),
        "rate_words": yuan_in_words(data.rate_fen),
        "rate_unit": _rate_unit(data),
    }
    return template_pdf("labor/pdf/contract.html", context)


def pay_slip_pdf(data: PaySlipData) -> bytes:
    """The worker's own pay list for one month (工资清单, 条例 Art.15) on the top half of an A4 page."""
    deducted = sum(amount for _, amount in data.deductions)
    # A slip whose lines do not add up would mislead the worker; refuse it rather than print it.
    if data.gross_fen - deducted != data.net_fen:
        raise ValueError("net_fen must equal gross_fen minus the deductions")
    context = {
        "d": data,
        "platform": PLATFORM,
        "generated_at": city_stamp(data.generated_at),
        "month": _month(data.month),
        "rate": yuan(data.rate_fen),
        "gross": yuan(data.gross_fen),
        "deductions": [(label, yuan(amount), amount == 0) for label, amount in data.deductions],
        "deducted": yuan(deducted),
        "net": yuan(data.net_fen),
        "net_words": yuan_in_words(data.net_fen) if data.net_fen >= 0 else "",
        "paid": yuan(data.paid_fen),
        "paid_on": cn_date(data.paid_on),
    }
    return template_pdf("labor/pdf/pay_slip.html", context)


def exit_confirmation_pdf(data: ExitData) -> bytes:
    """The exit confirmation (退场确认书) with amounts in figures and words, signature and fingerprint boxes."""
    if data.exit_on < data.entry_on:
        raise ValueError("exit_on before entry_on")
    if sum(m[1] for m in data.months) != data.owed_fen:
        raise ValueError("monthly owed amounts must add up to owed_fen")
    if sum(m[2] for m in data.months) != data.paid_fen:
        raise ValueError("monthly paid amounts must add up to paid_fen")
    if data.owed_fen - data.paid_fen != data.balance_fen:
        raise ValueError("balance_fen must equal owed_fen minus paid_fen")
    if data.balance_fen < 0:
        # Overpayment is settled between the parties first; this document only confirms what is owed.
        raise ValueError("balance_fen must not be negative")
    months = [
        {"month": _month(m), "owed": yuan(owed), "paid": yuan(paid), "balance": yuan(owed - paid)}
        for m, owed, paid in data.months
    ]
    context = {
        "d": data,
        "platform": PLATFORM,
        "generated_at": city_stamp(data.generated_at),
        "entry_on": cn_date(data.entry_on),
        "exit_on": cn_date(data.exit_on),
        "months": months,
        "owed": yuan(data.owed_fen),
        "owed_words": yuan_in_words(data.owed_fen),
        "paid": yuan(data.paid_fen),
        "paid_words": yuan_in_words(data.paid_fen),
        "balance": yuan(data.balance_fen),
        "balance_words": yuan_in_words(data.balance_fen),
        "settled": data.balance_fen == 0,
    }
    return template_pdf("labor/pdf/exit_confirmation.html", context)


def qr_svg_data_uri(url: str) -> str:
    """A QR code (error correction M, survives some dirt and glare on a site poster) as an SVG data URI."""
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    return qr.svg_data_uri(scale=4, border=4, dark="#000", light="#fff")


def notice_board_pdf(data: NoticeBoardData) -> bytes:
    """The wage-rights notice board (维权信息告示牌, 条例 Art.34) as an A4 poster that scales to A3."""
    if not data.complaint_url:
        raise ValueError("complaint_url is required for the QR code")
    context = {
        "d": data,
        "platform": PLATFORM,
        "generated_at": city_stamp(data.generated_at),
        "qr": qr_svg_data_uri(data.complaint_url),
    }
    return template_pdf("labor/pdf/notice_board.html", context)
