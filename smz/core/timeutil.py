"""Business time: one helper decides which day a moment belongs to (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")


def business_date(moment: dt.datetime) -> dt.date:
    """The local calendar day of an aware moment at the city's sites."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(CITY_TZ).date()


def parse_aware(value: str) -> dt.datetime | None:
    """ISO 8601 with an explicit offset → aware datetime; None if naive or malformed."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed
