"""`manage.py compliance_run --from YYYY-MM-DD --to YYYY-MM-DD [--project ID ...]`: judge the in-scope projects
over a range of days (the daily run, issue 13 item 4) and propose a deduction for each counted violation (the
review queue); idempotent, re-runnable. Without dates: yesterday."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from smz.compliance.services.engine import judge
from smz.compliance.services.review import deductions_propose
from smz.compliance.tasks import yesterday
from smz.core.seeding import seed_step_done, seed_step_finish

DEMO_STEP = "compliance_demo_week"


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
        parser.add_argument(
            "--demo-week",
            action="store_true",
            help="演示：判定含今天在内的 7 天（模拟的一周），已判定过则跳过（make run）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["demo_week"]:
            if seed_step_done(name=DEMO_STEP):
                self.stdout.write("演示周已判定，跳过（要重新判定请指定 --from/--to）。")
                return
            last = yesterday() + dt.timedelta(days=1)
            with transaction.atomic():
                result = judge(last - dt.timedelta(days=6), last)
                proposed = deductions_propose(last - dt.timedelta(days=6), last)
                seed_step_finish(name=DEMO_STEP)
            self.stdout.write(f"{result.summary()}；新拟扣分 {proposed.created} 条")
            return
        first = _date(options["day_from"]) if options["day_from"] else yesterday()
        last = _date(options["day_to"]) if options["day_to"] else first
        if last < first:
            raise CommandError("结束日期不能早于起始日期")
        result = judge(first, last, projects=options["project"])
        proposed = deductions_propose(first, last)
        self.stdout.write(f"{result.summary()}；新拟扣分 {proposed.created} 条")
