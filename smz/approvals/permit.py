"""The construction-permit rule behind WF1 (施工许可管理办法 第八条, quoted by notice 三(八)1):
start within 3 months of the permit; a start that cannot make it needs an extension applied for before the
period ends; at most 2 extensions of at most 3 months each; otherwise the permit lapses by itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from smz.approvals.errors import ApprovalsErrorCode
from smz.core.errors import DomainError

START_WINDOW_MONTHS = 3
EXTENSION_MONTHS = 3
MAX_EXTENSIONS = 2
WARN_DAYS = 30


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (2024-11-30 + 3 → 2025-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PermitLife:
    """Where a permit stands: the last day work may start without (another) extension."""

    issued_on: dt.date
    valid_until: dt.date
    extensions_used: int
    started: bool
    today: dt.date

    @property
    def extensions_left(self) -> int:
        return MAX_EXTENSIONS - self.extensions_used

    @property
    def days_left(self) -> int:
        return (self.valid_until - self.today).days

    @property
    def expired(self) -> bool:
        """Past the period with no start recorded: the permit has lapsed unless work began."""
        return not self.started and self.today > self.valid_until

    @property
    def latest_start(self) -> dt.date:
        """The furthest start date one more extension could reach (the period itself if none is left)."""
        if self.extensions_left <= 0:
            return self.valid_until
        return add_months(self.valid_until, EXTENSION_MONTHS)

    @property
    def warning(self) -> str:
        if self.started:
            return ""
        if self.expired:
            return f"施工许可开工期限已于 {self.valid_until:%Y-%m-%d} 届满且未登记开工，许可证可能已自行废止"
        if self.days_left <= WARN_DAYS:
            more = (
                f"可在期满前申请延期（剩余 {self.extensions_left} 次）"
                if self.extensions_left
                else "延期次数已用完"
            )
            return f"距施工许可开工期限届满仅剩 {self.days_left} 天，{more}"
        return ""


def permit_life(
    *, issued_on: dt.date, extensions_used: int, started: bool, today: dt.date
) -> PermitLife:
    valid_until = add_months(issued_on, START_WINDOW_MONTHS + EXTENSION_MONTHS * extensions_used)
    return PermitLife(
        issued_on=issued_on,
        valid_until=valid_until,
        extensions_used=extensions_used,
        started=started,
        today=today,
    )


def start_date_check(life: PermitLife, new_start: dt.date) -> bool:
    """Refuse a start date the permit rule forbids; True when the date needs an extension (延期)."""
    if new_start < life.issued_on:
        raise DomainError(
            ApprovalsErrorCode.PERMIT_BEFORE_ISSUE,
            f"开工日期不能早于施工许可发证日期 {life.issued_on:%Y-%m-%d}",
            {"fields": {"requested_date": "早于发证日期"}},
        )
    if new_start <= life.valid_until:
        return False
    if life.today > life.valid_until:
        raise DomainError(
            ApprovalsErrorCode.PERMIT_LAPSED,
            f"施工许可开工期限已于 {life.valid_until:%Y-%m-%d} 届满，期满后不能再申请延期"
            "（施工许可证自行废止，须重新申领）",
            {"fields": {"requested_date": "许可期限已届满"}, "valid_until": str(life.valid_until)},
        )
    if life.extensions_left <= 0:
        raise DomainError(
            ApprovalsErrorCode.PERMIT_EXTENSIONS_EXHAUSTED,
            f"延期已达 {MAX_EXTENSIONS} 次上限，开工日期不能晚于 {life.valid_until:%Y-%m-%d}",
            {"fields": {"requested_date": "超过延期次数"}, "valid_until": str(life.valid_until)},
        )
    if new_start > life.latest_start:
        raise DomainError(
            ApprovalsErrorCode.PERMIT_EXTENSION_TOO_LONG,
            f"每次延期不超过三个月：开工日期最晚为 {life.latest_start:%Y-%m-%d}",
            {"fields": {"requested_date": "超过三个月"}, "latest": str(life.latest_start)},
        )
    return True
