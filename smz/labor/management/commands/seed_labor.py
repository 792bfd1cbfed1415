"""`manage.py seed_labor`: a month of wages in the demo city (smz.labor.demo), after simulate_demo_week."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.accounts.models import User
from smz.labor.demo import build_demo_labor
from smz.labor.models import Payroll


class Command(BaseCommand):
    help = "在演示城市中按本月考勤生成合同、工资表、代发批次（含一笔失败）、一名工人退场和一个欠薪预警案例。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有工资表或无演示账号时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        if not User.objects.filter(username="gc_labor").exists():
            self.stdout.write("没有演示账号（先运行 seed_demo），跳过。")
            return
        if options["if_empty"] and Payroll.objects.exists():
            self.stdout.write("已有工资表，跳过演示工资数据。")
            return
        for key, value in build_demo_labor().items():
            self.stdout.write(f"  {key}：{value}")
        self.stdout.write(self.style.SUCCESS("演示工资数据已就绪。"))
