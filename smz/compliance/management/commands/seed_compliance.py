"""`manage.py seed_compliance`: the demo city's week of judgements (smz.compliance.demo), after
`compliance_run --demo-week` — reviews, confirmations, a dismissal, an appeal and its reversal — and the town's
confirmation of the demo stand-in's "not the same person" result (smz.faceid.demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smz.compliance.demo import build_demo_compliance
from smz.compliance.models import Appeal, Deduction
from smz.core.seeding import seed_step_done, seed_step_finish
from smz.faceid.demo import confirm_demo_stand_in

# All or nothing: a step that fails half-way leaves no rows, and the next make run plays it whole.
STEP = "demo_compliance"


class Command(BaseCommand):
    help = "在演示城市中审核一周的拟扣分：一级审核、二级确认与不予扣分、企业申诉并撤销扣分。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已演示过或已有审核记录时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        if seed_step_done(name=STEP):
            self.stdout.write("演示考核审核已完成，跳过。")
            return
        if options["if_empty"] and (
            Appeal.objects.exists()
            or Deduction.objects.exclude(state=Deduction.State.PROPOSED).exists()
        ):
            self.stdout.write("数据库已有扣分审核记录（不是本演示步骤建的），跳过演示考核审核。")
            return
        with transaction.atomic():
            done = build_demo_compliance()  # {} before any write when there is nothing to play
            if done:
                # The same week's stand-in (faceid demo): the town confirms one "not the same person".
                done |= confirm_demo_stand_in()
                seed_step_finish(name=STEP)
        if not done:
            self.stdout.write(
                "没有可供演示的拟扣分或审批账号（先运行 seed_demo、compliance_run --demo-week），跳过。"
            )
            return
        for key, value in done.items():
            self.stdout.write(f"  {key}：{value}")
        self.stdout.write(self.style.SUCCESS("演示考核审核已就绪。"))
