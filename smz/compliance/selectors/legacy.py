"""Reads of the old integrity system (issue 13 item 3): the flagged projects and a project's imported records.
Only the city administrator reads and writes them (the records count in the enterprise credit, which every
authority reads; see selectors/review.py)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from openpyxl import Workbook

from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.legacy_columns import LEGACY_COLUMNS
from smz.compliance.models import LegacyIntegrityRecord, LegacySystemProject
from smz.compliance.selectors import may_edit_rules
from smz.core.errors import Forbidden, NotFound
from smz.core.xlsx import safe_row
from smz.registry.models import Project


def _require_city_admin(user: Any) -> None:
    if not may_edit_rules(user):
        raise Forbidden("无权管理原诚信管理系统项目", code=ComplianceErrorCode.FORBIDDEN)


def legacy_projects_for(user: Any) -> list[LegacySystemProject]:
    """Every flagged project (with `record_count` and `record_points` of its imported records)."""
    _require_city_admin(user)
    flags = list(LegacySystemProject.objects.select_related("project").order_by("project__name"))
    totals = {
        row["project"]: row
        for row in LegacyIntegrityRecord.objects.filter(project__in=[f.project_id for f in flags])
        .values("project")
        .annotate(n=Count("pk"), total=Sum("points"))
    }
    for f in flags:
        row = totals.get(f.project_id)
        f.record_count = row["n"] if row else 0  # type: ignore[attr-defined]
        f.record_points = (row["total"] if row else None) or Decimal(0)  # type: ignore[attr-defined]
    return flags


def project_find_for(user: Any, code: str) -> Project:
    _require_city_admin(user)
    project = Project.objects.filter(code=code.strip()).first()
    if project is None:
        raise NotFound("项目")
    return project


@dataclass
class LegacyProjectPage:
    project: Project
    flag: LegacySystemProject | None
    records: list[LegacyIntegrityRecord]
    total_points: Decimal
    count: int


def legacy_project_for(user: Any, project_pk: int) -> LegacyProjectPage:
    _require_city_admin(user)
    project = Project.objects.filter(pk=project_pk).first()
    if project is None:
        raise NotFound("项目")
    qs = LegacyIntegrityRecord.objects.filter(project=project)
    agg = qs.aggregate(total=Sum("points"), n=Count("pk"))
    return LegacyProjectPage(
        project=project,
        flag=LegacySystemProject.objects.filter(project=project).first(),
        records=list(qs.select_related("enterprise", "imported_by").order_by("-day", "pk")[:1000]),
        total_points=agg["total"] or Decimal(0),
        count=agg["n"],
    )


def legacy_points_by_enterprise(start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Old-system points per enterprise recorded from `start` to `end` (the credit window)."""
    return dict(
        LegacyIntegrityRecord.objects.filter(day__gte=start, day__lte=end)
        .values("enterprise")
        .annotate(total=Sum("points"))
        .values_list("enterprise", "total")
    )


def legacy_template_for(user: Any) -> bytes:
    """The import template (.xlsx): the header row as legacy_parse reads it (required columns marked *), one
    example row with a synthetic credit code, and a sheet of notes (docs/compliance/legacy-import.md)."""
    _require_city_admin(user)
    book = Workbook()
    sheet = book.active
    sheet.title = "扣分记录"
    sheet.append([f"{header}*" if required else header for _, header, required in LEGACY_COLUMNS])
    sheet.append(
        [
            "2019-06-18",
            "91442000MA00000000",
            "未按规定实行实名制管理",
            2,
            "ZS-CX-2019-0001",
            "示例行，导入前请删除",
        ]
    )
    for column in "ABCDEF":
        sheet.column_dimensions[column].width = 22
    notes = book.create_sheet("填写说明")
    for line in LEGACY_NOTES:
        notes.append(safe_row([line]))
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LEGACY_NOTES = (
    "原诚信管理系统扣分记录导入模板（只读第一个工作表，首行为表头，带 * 的列必填）",
    "扣分日期：yyyy-mm-dd，不早于 2000-01-01，不晚于导入当天",
    "统一社会信用代码：18 位，须为平台已登记的企业",
    "扣分分值：大于 0、不超过 100 的数字，最多两位小数",
    "来源编号：原系统中的记录编号；同一项目内相同编号再次导入时更新该记录，不重复",
    "有任何一行错误则整个文件不导入，页面逐行列出错误原因",
)
