"""`manage.py compliance_run --from YYYY-MM-DD --to YYYY-MM-DD [--project ID ...]`: judge the in-scope projects
over a range of days (the daily run, issue 13 item 4); idempotent, re-runnable. Without dates: yesterday."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smz.compliance.engine import judge
from smz.compliance.tasks import yesterday


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "按扣分标准判定在建项目的违规事实（默认判定昨天）；可重复执行，结果相同。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="day_from", help="起始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", help="结束日期 YYYY-MM-DD（含）")
        parser.add_argument("--project", type=int, action="append", help="只判定该项目（可重复）")

    def handle(self, *args: Any, **options: Any) -> None:
        first = _date(options["day_from"]) if options["day_from"] else yesterday()
        last = _date(options["day_to"]) if options["day_to"] else first
        if last < first:
            raise CommandError("结束日期不能早于起始日期")
        result = judge(first, last, projects=options["project"])
        self.stdout.write(result.summary())
