"""Writes to the deduction table: loading the shipped file (附件6 v1) and the city administrator's new versions.
Versions are append-only: a change is a new version with its author and reason, effective from today or later,
so a day already judged keeps the version it was judged by."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from smz.compliance import table
from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.events import ComplianceEventKind
from smz.compliance.models import (
    DeductionRule,
    DeductionRuleVersion,
    Evidence,
    Phase,
    Regime,
    Responsible,
)
from smz.compliance.selectors import may_edit_rules, today
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record

MAX_POINTS = Decimal("100")
SOURCE_PAGE = "page"


@dataclass(frozen=True)
class LoadResult:
    phases: int
    regimes: int
    rules_created: int
    versions_created: int


def _dates(entry: dict[str, Any], *keys: str) -> dict[str, dt.date | None]:
    return {key: table.parse_date(entry.get(key)) for key in keys}


@transaction.atomic
def rule_table_load(*, data: dict[str, Any] | None = None) -> LoadResult:
    """Load the shipped table: phases and regimes follow the file; a rule the database lacks is created with
    the file's version as v1. A rule that already has versions is left alone (its history is the database's).
    Idempotent: `manage.py compliance_rules` and `make run` call it on every start."""
    data = data or table.table_data()
    for p in data["phases"]:
        Phase.objects.update_or_create(
            code=p["code"],
            defaults={
                "name": p["name"],
                "deducts": p["deducts"],
                "basis": p["basis"],
                **_dates(p, "starts_on", "ends_on"),
            },
        )
    for r in data["regimes"]:
        Regime.objects.update_or_create(
            code=r["code"],
            defaults={
                "name": r["name"],
                "rank": r["rank"],
                "legacy_system": r["legacy_system"],
                "dock_before_start": r["dock_before_start"],
                "obligations": list(r["obligations"]),
                "basis": r["basis"],
                **_dates(r, "permit_from", "permit_before", "dock_by"),
            },
        )
    rules_created = versions_created = 0
    for r in data["rules"]:
        rule, created = DeductionRule.objects.get_or_create(
            code=r["code"], defaults={"obligation": r["obligation"], "sort": r["sort"]}
        )
        rules_created += created
        if DeductionRuleVersion.objects.filter(rule=rule).exists():
            continue
        effective_from = table.parse_date(r["effective_from"])
        if effective_from is None:
            raise ValueError(f"{r['code']}: effective_from is required")
        version = DeductionRuleVersion.objects.create(
            rule=rule,
            number=1,
            title=r["title"],
            checks=r["checks"],
            points=Decimal(r["points"]),
            unit=r["unit"],
            per_day_cap=_decimal(r["per_day_cap"]),
            per_month_cap=_decimal(r["per_month_cap"]),
            responsible=r["responsible"],
            evidence=list(r["evidence"]),
            params=dict(r["params"]),
            enabled=r["enabled"],
            effective_from=effective_from,
            effective_to=table.parse_date(r["effective_to"]),
            basis=r["basis"],
            note=r["note"],
            reason=f"初始载入：{data['table']}（{data['version']}）",
            source=f"file:{data['version']}",
        )
        versions_created += 1
        event_record(
            actor=None,
            kind=ComplianceEventKind.RULE_VERSION_CREATED,
            subject=rule,
            data={"code": rule.code, "number": 1, "source": version.source},
        )
    return LoadResult(
        phases=len(data["phases"]),
        regimes=len(data["regimes"]),
        rules_created=rules_created,
        versions_created=versions_created,
    )


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _snapshot(v: DeductionRuleVersion) -> dict[str, Any]:
    return {
        "points": table.points_text(v.points),
        "per_day_cap": table.points_text(v.per_day_cap),
        "per_month_cap": table.points_text(v.per_month_cap),
        "responsible": v.responsible,
        "evidence": list(v.evidence),
        "params": dict(v.params),
        "enabled": v.enabled,
        "effective_from": v.effective_from.isoformat(),
        "effective_to": v.effective_to.isoformat() if v.effective_to else None,
    }


def _points(errors: dict[str, str], name: str, value: Any, *, required: bool) -> Decimal | None:
    if value is None or str(value).strip() == "":
        if required:
            errors[name] = "请填写分值"
        return None
    try:
        number = _decimal(value)
    except ValueError:
        errors[name] = "请填写数字，如 1 或 0.5"
        return None
    assert number is not None
    if number < 0 or number > MAX_POINTS:
        errors[name] = f"应在 0 到 {MAX_POINTS} 之间"
    elif number != number.quantize(Decimal("0.1")):
        errors[name] = "最多一位小数"
    return number


@transaction.atomic
def rule_version_create(
    *,
    actor: Any,
    rule: DeductionRule,
    points: Any,
    per_day_cap: Any,
    per_month_cap: Any,
    responsible: str,
    evidence: list[str],
    enabled: bool,
    effective_from: dt.date | None,
    effective_to: dt.date | None,
    reason: str,
    params: dict[str, Any] | None = None,
) -> DeductionRuleVersion:
    """新建规则版本 (city administrator): the rule from `effective_from` (today or later, Asia/Shanghai) as
    given; text, basis and anything not given are carried over from the newest version."""
    if not may_edit_rules(actor):
        raise Forbidden("仅市级管理员可修改扣分标准", code=ComplianceErrorCode.FORBIDDEN)
    rule = DeductionRule.objects.select_for_update().get(pk=rule.pk)
    latest = DeductionRuleVersion.objects.filter(rule=rule).order_by("-number").first()
    if latest is None:
        raise DomainError(ComplianceErrorCode.NO_VERSION, "该规则尚无版本，请先载入扣分标准")
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写变更原因"
    elif len(reason) > 500:
        errors["reason"] = "变更原因不超过500字"
    new_points = _points(errors, "points", points, required=True)
    day_cap = _points(errors, "per_day_cap", per_day_cap, required=False)
    month_cap = _points(errors, "per_month_cap", per_month_cap, required=False)
    if responsible not in Responsible.values:
        errors["responsible"] = "请选择责任主体"
    if not evidence:
        errors["evidence"] = "至少选择一种证据"
    elif any(e not in Evidence.values for e in evidence):
        errors["evidence"] = "证据类型无效"
    first_day = today()
    if effective_from is None:
        errors["effective_from"] = "请填写生效日期"
    elif effective_from < first_day:
        # A change never re-rates days already judged: corrections of the past go through appeals.
        errors["effective_from"] = f"生效日期不能早于今天（{first_day:%Y-%m-%d}）"
    if effective_to is not None and effective_from is not None and effective_to < effective_from:
        errors["effective_to"] = "失效日期不能早于生效日期"
    if params is not None and not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 366 for v in params.values()
    ):
        errors["params"] = "参数应为 1 到 366 之间的整数"
    if errors:
        raise field_errors(errors)
    assert new_points is not None and effective_from is not None
    version = DeductionRuleVersion.objects.create(
        rule=rule,
        number=(DeductionRuleVersion.objects.filter(rule=rule).aggregate(n=Max("number"))["n"] or 0)
        + 1,
        title=latest.title,
        checks=latest.checks,
        points=new_points,
        unit=latest.unit,
        per_day_cap=day_cap,
        per_month_cap=month_cap,
        responsible=responsible,
        evidence=list(dict.fromkeys(evidence)),
        params={k: (params or {}).get(k, v) for k, v in latest.params.items()},
        enabled=enabled,
        effective_from=effective_from,
        effective_to=effective_to,
        basis=latest.basis,
        note=latest.note,
        reason=reason,
        source=SOURCE_PAGE,
        changed_by=actor,
    )
    event_record(
        actor=actor,
        kind=ComplianceEventKind.RULE_VERSION_CREATED,
        subject=rule,
        data={
            "code": rule.code,
            "number": version.number,
            "reason": reason,
            "before": _snapshot(latest),
            "after": _snapshot(version),
        },
    )
    return version
