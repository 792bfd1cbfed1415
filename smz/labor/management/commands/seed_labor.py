"""`manage.py seed_labor`: a month of wages in the demo city (smz.labor.demo), after simulate_demo_week."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smz.accounts.models import User
from smz.core.seeding import seed_step_done, seed_step_finish
from smz.labor.demo import build_demo_labor
from smz.labor.models import Payroll

# All or nothing: a step that fails half-way leaves no rows, and the next make run builds it whole.
STEP = "demo_labor"


class Command(BaseCommand):
    help = "在演示城市中按本月考勤生成合同、工资表、代发批次（含一笔失败）、一名工人退场和一个欠薪预警案例。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有工资表或无演示账号时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        if not User.objects.filter(username="gc_labor").exists():
            self.stdout.write("没有演示账号（先运行 seed_demo），跳过。")
            return
        if options["if_empty"] and seed_step_done(name=STEP):
            self.stdout.write("演示工资数据已建好，跳过。")
            return
        if options["if_empty"] and Payroll.objects.exists():
            self.stdout.write("数据库已有工资表（不是本演示步骤建的），跳过演示工资数据。")
            return
        with transaction.atomic():
            done = build_demo_labor()
            seed_step_finish(name=STEP)
        for key, value in done.items():
            self.stdout.write(f"  {key}：{value}")
        self.stdout.write(self.style.SUCCESS("演示工资数据已就绪。"))
