"""工资保证金 (wage deposits): when a draw must be made good."""

from __future__ import annotations

import datetime as dt

from smz.labor.models import (
    WageDeposit,
)

TOP_UP_WORKING_DAYS = 10  # the GC makes a draw good within 10 working days


def add_working_days(day: dt.date, n: int) -> dt.date:
    """Working days, weekends skipped (public holidays are not in the platform's calendar yet)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def top_up_due(deposit: WageDeposit) -> dt.date | None:
    """When the last draw must be made good by, if the balance is short."""
    if deposit.balance_fen >= deposit.amount_fen:
        return None
    last = deposit.movements.filter(kind="draw").order_by("-on").first()
    return add_working_days(last.on, TOP_UP_WORKING_DAYS) if last else None
