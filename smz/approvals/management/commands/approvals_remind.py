"""`manage.py approvals_remind`: remind approvers of overdue requests (run hourly from cron; each request is
reminded at most once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smz.approvals.services import reminders_send


class Command(BaseCommand):
    help = "向超期未办的审批环节发送催办通知（每个申请每天最多一次）。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已催办 {reminders_send()} 个超期申请。")
