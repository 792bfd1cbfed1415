"""`manage.py labor_alerts`: the daily 欠薪预警 digest to GC staff, the authorities and the city (cron, mornings)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smz.labor.services.arrears import alerts_notify


class Command(BaseCommand):
    help = "发送当日欠薪预警汇总通知（总包、属地主管部门、市级）。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已发送 {alerts_notify()} 条欠薪预警通知。")
