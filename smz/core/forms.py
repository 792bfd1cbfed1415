"""Reading values people typed into page forms: anything unreadable is None, and the service that receives it
says in Chinese what is missing."""

from __future__ import annotations

import datetime as dt


def form_date(value: str | None) -> dt.date | None:
    """ "2026-11-29" → a date; blank or malformed → None."""
    try:
        return dt.date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def form_int(value: str | None) -> int | None:
    """ "42" → 42; blank, signed, malformed or non-ASCII digits ("²", "４２") → None."""
    text = value.strip() if value else ""
    return int(text) if text.isascii() and text.isdigit() else None


def form_month(value: str | None) -> dt.date | None:
    """ "2026-11" → the month's first day; blank or malformed → None."""
    return form_date(f"{value.strip()}-01") if value and value.strip() else None
