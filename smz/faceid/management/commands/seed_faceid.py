"""`manage.py seed_faceid`: the demo city's face identity (smz.faceid.demo), before `simulate_demo_week` — three
managers' faces enrolled at the window: one with somebody else's face (his simulated week is then 未到岗, with
the reason), and one face under two ID numbers on the city's list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smz.core.seeding import seed_step_done, seed_step_finish
from smz.faceid.demo import build_demo_faceid
from smz.faceid.models import FaceEmbedding

# All or nothing: a step that fails half-way leaves no rows, and the next make run plays it whole.
STEP = "demo_faceid"


class Command(BaseCommand):
    help = "在演示城市中演示人脸身份核验：一名项目经理一周由他人代打卡，另有一脸多证。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已演示过或已有人脸特征时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        if seed_step_done(name=STEP):
            self.stdout.write("人脸身份核验演示已完成，跳过。")
            return
        if options["if_empty"] and FaceEmbedding.objects.exists():
            self.stdout.write("数据库已有人脸特征（不是本演示步骤建的），跳过人脸身份核验演示。")
            return
        with transaction.atomic():
            done = build_demo_faceid()
            if done:
                seed_step_finish(name=STEP)
        if not done:
            self.stdout.write("没有窗口采集员或在场的关键岗位人员（先运行 seed_demo），跳过。")
            return
        for key, value in done.items():
            self.stdout.write(f"  {key}：{value}")
        self.stdout.write(self.style.SUCCESS("人脸身份核验演示已就绪。"))
