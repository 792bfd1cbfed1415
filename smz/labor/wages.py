"""Wage arithmetic in one place: integer fen, Decimal in between, half-up rounding to the fen (no floats)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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
