"""Process the docking requests still pending (0 待处理): those a crash or a stopped worker left behind.

The gateway commits each Add/Update request before it answers and enqueues its task after commit; if the worker
was down or died mid-way, the request stays pending and this command (cron, every few minutes) finishes it.
Processing is idempotent: a request already finished is left as it is."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smz.docking.services.requests import docking_requests_pending_process


class Command(BaseCommand):
    help = "处理积压的平台对接请求（待处理状态）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="本次最多处理的请求数")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        if limit < 1:
            self.stderr.write("--limit 应为正整数")
            raise SystemExit(2)
        done = docking_requests_pending_process(limit=limit)
        self.stdout.write(f"已处理 {done} 个待处理的对接请求")
