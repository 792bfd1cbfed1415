"""`manage.py docking_webhooks_deliver`: send the webhook deliveries that are due (run every minute from cron; the
background job sends each event at once, this picks up retries and anything a stopped worker left)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smz.docking.services.webhooks import docking_deliveries_due


class Command(BaseCommand):
    help = (
        "发送到期的对接回调（失败按 1 分钟、5 分钟、30 分钟、2 小时、12 小时重试，之后记为失败）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已尝试发送 {docking_deliveries_due()} 个回调。")
