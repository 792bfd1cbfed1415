"""`manage.py compliance_rules`: load the deduction table (附件6 v1) into the database — idempotent, `make run`
calls it; `--write-doc` regenerates the tables of docs/compliance/deductions.md from the same file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.compliance import table
from smz.compliance.services import rule_table_load


class Command(BaseCommand):
    help = "载入不良行为扣分标准（附件6）及实施阶段、适用制度；已有版本的规则不变。--write-doc 重新生成说明文档中的表格。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write-doc",
            action="store_true",
            help="按数据文件重写 docs/compliance/deductions.md 的表格",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write_doc"]:
            text = table.DOC_FILE.read_text(encoding="utf-8")
            table.DOC_FILE.write_text(table.doc_rewrite(text), encoding="utf-8")
            self.stdout.write(f"已更新 {table.DOC_FILE}")
            return
        result = rule_table_load()
        self.stdout.write(
            f"扣分标准：{result.phases} 个实施阶段，{result.regimes} 种适用制度，"
            f"新增规则 {result.rules_created} 条、版本 {result.versions_created} 个。"
        )
