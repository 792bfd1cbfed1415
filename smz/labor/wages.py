"""Wage arithmetic in one place: integer fen, Decimal in between, half-up rounding to the fen (no floats);
the wage month's bounds and pay days."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_PAY_DAY = 15

# 月计薪天数 (人社部 2008: (365 - 104 weekend days) / 12 = 21.75), used to prorate monthly wages and to turn
# the monthly minimum wage into a daily floor.
MONTHLY_PAID_DAYS = Decimal("21.75")


def fen(value: Decimal) -> int:
    """Round a Decimal amount of fen half-up to a whole fen."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gross_fen(*, kind: str, rate_fen: int, days: int, quantity: Decimal) -> int:
    """应发工资: daily rate × days; monthly rate × days / 21.75 (capped at the full rate); piece rate × quantity."""
    if kind == "daily":
        return rate_fen * days
    if kind == "monthly":
        return min(rate_fen, fen(Decimal(rate_fen) * days / MONTHLY_PAID_DAYS))
    if kind == "piece":
        return fen(Decimal(rate_fen) * quantity)
    raise ValueError(kind)


def minimum_fen(*, monthly_fen: int, hourly_fen: int, days: int, hours: Decimal) -> int:
    """The least a worker may be paid for the time worked: hours × the hourly minimum when hours are known,
    else days × the monthly minimum / 21.75."""
    if hours > 0:
        return fen(Decimal(hourly_fen) * hours)
    return fen(Decimal(monthly_fen) * days / MONTHLY_PAID_DAYS)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a wage month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def next_month_day(month: dt.date, day: int) -> dt.date:
    """A day of the month after `month` (the pay day), the month's last day when it is shorter."""
    _, last = month_bounds(month)
    nxt = last + dt.timedelta(days=1)
    return nxt.replace(day=min(day, calendar.monthrange(nxt.year, nxt.month)[1]))
