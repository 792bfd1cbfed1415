"""`manage.py labor_retention [--dry-run]`: set retention dates of completed projects' records and purge what
has expired, attendance included (never under a legal hold). Run monthly from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.labor.services.retention import retention_purge, retention_refresh


class Command(BaseCommand):
    help = "按保存期限清理已到期的劳务记录和考勤记录（法律保全中的项目除外）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"设置保存期限：{retention_refresh()} 条")
        r = retention_purge(dry_run=options["dry_run"])
        verb = "将清理" if options["dry_run"] else "已清理"
        self.stdout.write(
            f"{verb}：工资表 {r.payrolls}，退场确认书 {r.exits}，劳动合同 {r.contracts}，"
            f"{r.attendance_projects} 个项目的考勤（通行记录 {r.passes} 条）；"
            f"因法律保全保留 {r.held} 条记录、{r.attendance_held} 个项目的考勤"
        )
