"""`manage.py compliance_propose --from 2026-12-01 --to 2026-12-07`: one proposed deduction per counted violation
of the days (idempotent), routed to the project's authority; its level-1 approvers are notified. The daily run
(`compliance_run`) judges the days; this turns its violations into deductions for review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smz.compliance.services.review import deductions_propose


class Command(BaseCommand):
    help = "按日期范围将计分的违规事实生成拟扣分（可重复运行），并通知审批部门一级审批人。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="day_from", required=True, help="开始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", required=True, help="结束日期 YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day_from = dt.date.fromisoformat(options["day_from"])
            day_to = dt.date.fromisoformat(options["day_to"])
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{exc}") from exc
        if day_to < day_from:
            raise CommandError("结束日期早于开始日期")
        result = deductions_propose(day_from, day_to)
        self.stdout.write(f"新生成拟扣分 {result.created} 条，已存在 {result.existing} 条。")
