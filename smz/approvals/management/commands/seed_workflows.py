"""`manage.py seed_workflows`: requests and changes in the demo city for every approval level (smz.approvals.demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smz.accounts.models import User
from smz.approvals.demo import build_demo_workflows
from smz.approvals.models import ApprovalRequest
from smz.core.seeding import seed_step_done, seed_step_finish

# All or nothing: a step that fails half-way leaves no rows, and the next make run builds it whole.
STEP = "demo_workflows"


class Command(BaseCommand):
    help = "在演示城市中生成各审批环节的申请（待一级审核、待二级审批、退回、草稿）和待窗口采集的岗位变更。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="已有审批申请或无演示账号时跳过"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not User.objects.filter(username="gc_admin").exists():
            self.stdout.write("没有演示账号（先运行 seed_demo），跳过。")
            return
        if options["if_empty"] and seed_step_done(name=STEP):
            self.stdout.write("演示审批数据已建好，跳过。")
            return
        if options["if_empty"] and ApprovalRequest.objects.exists():
            self.stdout.write("数据库已有审批申请（不是本演示步骤建的），跳过演示审批数据。")
            return
        with transaction.atomic():
            done = build_demo_workflows()
            seed_step_finish(name=STEP)
        for key, value in done.items():
            self.stdout.write(f"  {key}：{value}")
        self.stdout.write(self.style.SUCCESS("演示审批数据已就绪。"))
