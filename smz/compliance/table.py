"""The shipped deduction table (附件6 v1): smz/compliance/data/deductions_v1.json is the one source. The database
is loaded from it (services.rule_table_load) and docs/compliance/deductions.md embeds the blocks rendered here
(`manage.py compliance_rules --write-doc`; a test fails when the document and the file disagree)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from smz.compliance.models import Evidence, Obligation, Responsible

DATA_FILE = Path(__file__).resolve().parent / "data" / "deductions_v1.json"
DOC_FILE = Path(settings.BASE_DIR) / "docs" / "compliance" / "deductions.md"
BLOCKS = ("phases", "regimes", "rules")


@functools.cache
def table_data() -> dict[str, Any]:
    """The parsed file (cached: it ships with the code)."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def points_text(value: Decimal | str | None) -> str:
    """1.0 → "1", 0.5 → "0.5", None → "不设"."""
    if value is None:
        return "不设"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _period(start: str | None, end: str | None) -> str:
    if not start:
        return "—"
    return f"{start} 起" if not end else f"{start} 至 {end}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_phases(data: dict[str, Any]) -> str:
    lines = ["| 阶段 | 期间 | 是否扣分 | 依据 |", "|---|---|---|---|"]
    for p in data["phases"]:
        lines.append(
            f"| {p['name']}（`{p['code']}`） | {_period(p['starts_on'], p['ends_on'])} | "
            f"{'扣分' if p['deducts'] else '只计算、不扣分'} | {_cell(p['basis'])} |"
        )
    return "\n".join(lines)


def render_regimes(data: dict[str, Any]) -> str:
    lines = [
        "| 顺序 | 制度 | 适用条件 | 对接期限 | 考核义务 | 依据 |",
        "|---|---|---|---|---|---|",
    ]
    for r in sorted(data["regimes"], key=lambda r: r["rank"]):
        if r["legacy_system"]:
            when = "登记为原诚信管理系统考勤项目"
        elif r["permit_from"]:
            when = f"施工许可发证日期不早于 {r['permit_from']}"
        else:
            when = f"施工许可发证日期早于 {r['permit_before']}"
        dock = r["dock_by"] or ("拟开工日期（开工前）" if r["dock_before_start"] else "—")
        duties = "、".join(Obligation(o).label for o in r["obligations"])
        lines.append(
            f"| {r['rank']} | {r['name']}（`{r['code']}`） | {when} | {dock} | {duties} | "
            f"{_cell(r['basis'])} |"
        )
    return "\n".join(lines)


def render_rules(data: dict[str, Any]) -> str:
    rules = sorted(data["rules"], key=lambda r: r["sort"])
    lines = [
        "| 编码 | 名称 | 分值 | 计分单位 | 每日上限 | 每月上限 | 责任主体 | 生效 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        state = "" if r["enabled"] else "（暂不启用）"
        lines.append(
            f"| [{r['code']}](#{r['code'].lower()}) | {r['title']} | {points_text(r['points'])} | "
            f"{r['unit']} | {points_text(r['per_day_cap'])} | {points_text(r['per_month_cap'])} | "
            f"{Responsible(r['responsible']).label} | "
            f"{_period(r['effective_from'], r['effective_to'])}{state} |"
        )
    for r in rules:
        params = "；".join(f"{k} = {v}" for k, v in r["params"].items())
        lines += [
            "",
            f"### {r['code']}",
            "",
            f"**{r['title']}**{'（暂不启用）' if not r['enabled'] else ''}",
            "",
            f"- 检查内容：{r['checks']}",
            f"- 考核义务：{Obligation(r['obligation']).label}（`{r['obligation']}`）",
            f"- 分值：{points_text(r['points'])} 分，{r['unit']}；每日上限 "
            f"{points_text(r['per_day_cap'])}，每月上限 {points_text(r['per_month_cap'])}",
            f"- 责任主体：{Responsible(r['responsible']).label}",
            "- 所需证据：" + "、".join(Evidence(e).label for e in r["evidence"]),
        ]
        if params:
            lines.append(f"- 参数：{params}")
        lines += [
            f"- 生效：{_period(r['effective_from'], r['effective_to'])}",
            f"- 依据：{r['basis']}",
            f"- 说明：{r['note']}",
        ]
    return "\n".join(lines)


RENDERERS = {"phases": render_phases, "regimes": render_regimes, "rules": render_rules}


def render_block(name: str, data: dict[str, Any] | None = None) -> str:
    """The generated part of the document between `<!-- BEGIN name -->` and `<!-- END name -->`."""
    return RENDERERS[name](data or table_data())


def _block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN {name} -->\n)(.*?)\n?(<!-- END {name} -->)", re.DOTALL)


def doc_block(text: str, name: str) -> str | None:
    """The block as it stands in the document (None when its markers are missing)."""
    found = _block_pattern(name).search(text)
    return found.group(2) if found else None


def doc_rewrite(text: str) -> str:
    """The document with every generated block replaced by its rendering from the file."""
    for name in BLOCKS:
        rendered = render_block(name)
        text = _block_pattern(name).sub(
            lambda m, r=rendered: f"{m.group(1)}{r}\n{m.group(3)}", text, count=1
        )
    return text
