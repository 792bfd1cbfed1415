"""Push the city's records to the upstream platforms (数据上报): enqueue what is new, then push passes until nothing
moves; with --once a single pass (for cron). Safe to run again, and after a crash (see services/upward.py)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from smz.docking.models import UpstreamTarget
from smz.docking.services.upward import upstream_enqueue, upstream_push


class Command(BaseCommand):
    help = "Push records to the enabled upstream platforms (附件8 protocol)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--target", type=int, help="one target's id (default: every enabled one)"
        )
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--max-passes", type=int, default=100, help="passes before giving up (without --once)"
        )
        parser.add_argument(
            "--interval", type=float, default=10.0, help="seconds between passes (without --once)"
        )

    def handle(self, *args, target=None, once=False, max_passes=100, interval=10.0, **options):
        targets = UpstreamTarget.objects.filter(enabled=True).order_by("pk")
        if target is not None:
            targets = targets.filter(pk=target)
            if not targets.exists():
                raise CommandError(f"上报平台 {target} 不存在或未启用")
        for t in targets:
            new = upstream_enqueue(target=t)
            self.stdout.write(f"{t.name}: 新加入 {new} 条待上报记录")
            for n in range(1 if once else max_passes):
                report = upstream_push(target=t)
                self.stdout.write(
                    f"{t.name}: 第{n + 1}轮 请求 {report.requests} 次，发送 {report.sent} 条，"
                    f"查询结果 {report.polled} 次，成功 {report.done} 条，失败 {report.failed} 条，"
                    f"待重试 {report.transient} 次"
                )
                pending = t.uploads.filter(state__in=["pending", "sending"]).exists()
                if once or not pending:
                    break
                time.sleep(interval)
