"""The attendance calendar's day cells, written in one go per person (issue 17 goal 4).

A month of 50 people is 1,550 cells; as template tags (a lookup, a `with`, three nested `if`s and two time
filters per cell) rendering took 130–186 ms on city-sized data (scale-baseline.md, cause 7). The markup is
the same; only numbers, times and fixed words go into it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _hhmm(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def _cell(day: dt.date, daily: Any) -> str:
    weekend = " att-weekend" if day.weekday() >= 5 else ""
    mark = ""
    if daily is not None:
        invalid = int(daily.invalid_passes)
        if daily.attended:
            css = "att-warn" if daily.anomalies else "att-yes"
            extra = f"，无效通行 {invalid} 次" if invalid else ""
            title = f"{_hhmm(daily.first_in)}–{_hhmm(daily.last_out) or '?'}，{int(daily.minutes)} 分钟{extra}"
            mark = f'<span class="att {css}" title="{title}">✓</span>'
        elif invalid:
            mark = f'<span class="att att-bad" title="仅有无效通行 {invalid} 次">!</span>'
    return f'<td class="text-center p-0{weekend}">{mark}</td>'


@register.filter
def calendar_cells(row: Any, days: list[dt.date]) -> SafeString:
    """One person's cells for the month's days (`row.days`: day of month → daily row)."""
    return mark_safe("".join(_cell(d, row.days.get(d.day)) for d in days))
