"""`manage.py seed_demo`: load the demo city (smz.registry.demo). Idempotent; `--if-empty` for `make run`."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.core.seeding import seed_step_done, seed_step_finish
from smz.registry import demo

STEP = "demo_city"


class Command(BaseCommand):
    help = "载入演示城市（企业、项目、人员、班组、关键岗位和各角色演示账号）；重复运行不会产生重复数据。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有项目、企业、人员或演示账号时跳过",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=demo.DEFAULT_WORKERS,
            help=f"建筑工人人数（管理人员另计），默认 {demo.DEFAULT_WORKERS}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and seed_step_done(name=STEP):
            self.stdout.write("演示城市已建好，跳过（要补齐演示数据请去掉 --if-empty）。")
            return
        if options["if_empty"] and demo.database_has_data() and not demo.demo_city_started():
            # make run may point at a real database (DATABASE_URL): no demo city there.
            self.stdout.write(
                "数据库已有非演示数据，跳过演示数据（要补齐演示数据请去掉 --if-empty）。"
            )
            return
        started = time.perf_counter()
        before = demo.demo_counts()
        after = demo.build_demo_city(workers=options["workers"])
        seed_step_finish(name=STEP)
        elapsed = time.perf_counter() - started
        for table, count in after.items():
            added = count - before.get(table, 0)
            self.stdout.write(f"  {table}：{count}" + (f"（新增 {added}）" if added else ""))
        self.stdout.write(self.style.SUCCESS(f"演示城市已就绪，用时 {elapsed:.1f} 秒。"))
