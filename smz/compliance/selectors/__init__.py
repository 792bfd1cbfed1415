"""Reads of the deduction table and the regimes: which rule version applied on a day, which obligations a project
had on a day, and the pages' lists (the city's staff read; the city administrator edits — see services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role
from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import (
    DeductionRule,
    DeductionRuleVersion,
    LegacySystemProject,
    Obligation,
    Phase,
    Regime,
)
from smz.core.errors import Forbidden, NotFound
from smz.core.timeutil import business_date
from smz.registry.models import Project
from smz.registry.obligations import MANAGER_CHECK_DELAY

# Obligations that start only once attendance is checked (planned start + 10 days, notice 四（一）).
ATTENDANCE_OBLIGATIONS = frozenset({Obligation.MANAGER_ATTENDANCE, Obligation.ATTENDANCE})


def today() -> dt.date:
    """Today in Asia/Shanghai: the first day a new rule version may take effect."""
    return business_date(timezone.now())


def _role(user: Any) -> str:
    return Role.CITY_ADMIN if user.is_superuser and not user.role else user.role


def may_read_rules(user: Any) -> bool:
    """附件6 is published with the notice: every authority, enterprise and builder account reads it (the builder
    answers for some rules); workers do not."""
    return bool(getattr(user, "is_authenticated", False)) and (
        _role(user) in AUTHORITY_ROLES | ENTERPRISE_ROLES | {Role.BUILDER}
    )


def may_edit_rules(user: Any) -> bool:
    """Only the city administrator (市建筑市场监管科) changes the table."""
    return bool(getattr(user, "is_authenticated", False)) and _role(user) == Role.CITY_ADMIN


def _require_read(user: Any) -> None:
    if not may_read_rules(user):
        raise Forbidden("无权查看扣分标准", code=ComplianceErrorCode.FORBIDDEN)


# ---- rule versions -----------------------------------------------------------------------------------


def _covering(day: dt.date) -> Q:
    return Q(effective_from__lte=day) & (Q(effective_to__isnull=True) | Q(effective_to__gte=day))


def rule_version_on(code: str, day: dt.date) -> DeductionRuleVersion | None:
    """The version of rule `code` that applied on `day`: the newest one whose period covers the day."""
    return (
        DeductionRuleVersion.objects.filter(_covering(day), rule__code=code)
        .select_related("rule")
        .order_by("-number")
        .first()
    )


def rule_table_on(day: dt.date) -> dict[str, DeductionRuleVersion]:
    """Every rule's version on `day` (rules with none that day are absent), in one query."""
    table: dict[str, DeductionRuleVersion] = {}
    for version in (
        DeductionRuleVersion.objects.filter(_covering(day))
        .select_related("rule")
        .order_by("rule__sort", "rule__code", "-number")
    ):
        table.setdefault(version.rule.code, version)
    return table


@dataclass(frozen=True)
class RuleRow:
    """A line of the rules page: the rule, its version today, and a later version already decided."""

    rule: DeductionRule
    current: DeductionRuleVersion | None
    upcoming: DeductionRuleVersion | None
    version_count: int


def _current_and_upcoming(
    versions: list[DeductionRuleVersion], day: dt.date
) -> tuple[DeductionRuleVersion | None, DeductionRuleVersion | None]:
    newest_first = sorted(versions, key=lambda v: -v.number)
    current = next(
        (
            v
            for v in newest_first
            if v.effective_from <= day and (v.effective_to is None or v.effective_to >= day)
        ),
        None,
    )
    upcoming = next(
        (
            v
            for v in newest_first
            if v.effective_from > day and (current is None or v.number > current.number)
        ),
        None,
    )
    return current, upcoming


def rule_list_for(user: Any, *, day: dt.date | None = None) -> list[RuleRow]:
    """Every rule with its version on `day` (default today) and any later version already made."""
    _require_read(user)
    day = day or today()
    rules = DeductionRule.objects.prefetch_related(
        Prefetch("versions", queryset=DeductionRuleVersion.objects.order_by("-number"))
    )
    rows = []
    for rule in rules:
        versions = list(rule.versions.all())
        current, upcoming = _current_and_upcoming(versions, day)
        rows.append(RuleRow(rule, current, upcoming, len(versions)))
    return rows


@dataclass(frozen=True)
class Superseded:
    """A later open-ended version that takes over from `on`."""

    number: int
    on: dt.date


@dataclass(frozen=True)
class RuleHistory:
    rule: DeductionRule
    versions: list[DeductionRuleVersion]
    current: DeductionRuleVersion | None
    upcoming: DeductionRuleVersion | None
    today: dt.date
    superseded: dict[int, Superseded] = field(default_factory=dict)


def _superseded(versions: list[DeductionRuleVersion]) -> dict[int, Superseded]:
    """For each version (by number), the first later open-ended version that replaces it for good."""
    found: dict[int, Superseded] = {}
    for v in versions:
        takers = [
            Superseded(later.number, max(later.effective_from, v.effective_from))
            for later in versions
            if later.number > v.number
            and later.effective_to is None
            and (v.effective_to is None or later.effective_from <= v.effective_to)
        ]
        if takers:
            found[v.number] = min(takers, key=lambda t: (t.on, t.number))
    return found


def rule_get_for(user: Any, code: str) -> RuleHistory:
    """One rule with its whole history, newest first (who changed what, when and why)."""
    _require_read(user)
    rule = DeductionRule.objects.filter(code=code).first()
    if rule is None:
        raise NotFound("扣分规则")
    versions = list(
        DeductionRuleVersion.objects.filter(rule=rule)
        .select_related("changed_by")
        .order_by("-number")
    )
    day = today()
    current, upcoming = _current_and_upcoming(versions, day)
    return RuleHistory(rule, versions, current, upcoming, day, _superseded(versions))


# ---- regimes -----------------------------------------------------------------------------------------


def phase_on(day: dt.date) -> Phase | None:
    """试运行期 or 正式实施 on `day` (None before the platform started)."""
    return (
        Phase.objects.filter(Q(starts_on__lte=day), Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .order_by("-starts_on")
        .first()
    )


@dataclass(frozen=True)
class RegimeAnswer:
    """What a project owed on a day: its regime, the obligations in force that day, whether a violation is
    deducted (not in the trial period), and the reasons in words (N4)."""

    day: dt.date
    phase: Phase | None
    regime: Regime | None
    obligations: frozenset[str]
    deducts: bool
    attendance_from: dt.date | None = None
    dock_deadline: dt.date | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def judged(self) -> bool:
        """Computed at all (in the trial period too)."""
        return bool(self.obligations)


def _regime_match(project: Project, regimes: list[Regime], legacy: bool) -> Regime | None:
    permit = project.permit_issued_on
    for regime in regimes:
        if regime.legacy_system:
            if legacy:
                return regime
            continue
        if permit is None:
            continue
        if regime.permit_from and permit < regime.permit_from:
            continue
        if regime.permit_before and permit >= regime.permit_before:
            continue
        if regime.permit_from or regime.permit_before:
            return regime
    return None


def regime_for(project: Project, day: dt.date) -> RegimeAnswer:
    """The regime and the obligations in force for `project` on `day` (C1, C3–C5).

    Day-level rests — an approved suspension, the WF5 stops — are not decided here but per post and day by
    `smz.registry.obligations`; this answers what the project owes at all on that day."""
    legacy = LegacySystemProject.objects.filter(project=project).exists()
    return regime_answer(
        project,
        day,
        phase=phase_on(day),
        regimes=list(Regime.objects.order_by("rank")),
        legacy=legacy,
    )


def phase_in(phases: list[Phase], day: dt.date) -> Phase | None:
    """`phase_on` over phases already read (the daily run reads them once)."""
    covering = [p for p in phases if p.starts_on <= day and (p.ends_on is None or day <= p.ends_on)]
    return max(covering, key=lambda p: p.starts_on) if covering else None


def regime_answer(
    project: Project, day: dt.date, *, phase: Phase | None, regimes: list[Regime], legacy: bool
) -> RegimeAnswer:
    """`regime_for` from data already read (phase of the day, regimes by rank, whether the project is on the
    old integrity system): the daily run answers a thousand projects with three queries."""
    reasons: list[str] = []
    if phase is None:
        return RegimeAnswer(day, None, None, frozenset(), False, reasons=("平台尚未启用",))
    if not project.in_scope:
        reasons.append("项目未纳入实名制管理（规模以下且未自愿纳入）")
        return RegimeAnswer(day, phase, None, frozenset(), False, reasons=tuple(reasons))
    regime = _regime_match(project, regimes, legacy)
    if regime is None:
        reasons.append("缺少施工许可发证日期，无法确定适用制度")
        return RegimeAnswer(day, phase, None, frozenset(), False, reasons=tuple(reasons))
    reasons.append(f"适用制度：{regime.name}")
    obligations = set(regime.obligations)

    attendance_from: dt.date | None = None
    if regime.dock_by is not None:
        attendance_from = regime.dock_by
    elif project.planned_start is not None:
        attendance_from = project.planned_start + MANAGER_CHECK_DELAY
    if obligations & ATTENDANCE_OBLIGATIONS:
        if attendance_from is None:
            obligations -= ATTENDANCE_OBLIGATIONS
            reasons.append("无拟开工日期，考勤暂不考核")
        elif day < attendance_from:
            obligations -= ATTENDANCE_OBLIGATIONS
            reasons.append(f"考勤自 {attendance_from:%Y-%m-%d} 起考核")

    dock_deadline = regime.dock_by or (project.planned_start if regime.dock_before_start else None)
    if Obligation.DOCKING in obligations and (dock_deadline is None or day < dock_deadline):
        obligations.discard(Obligation.DOCKING)
        reasons.append(
            f"对接期限 {dock_deadline:%Y-%m-%d} 未到"
            if dock_deadline
            else "无拟开工日期，对接期限未定"
        )

    deducts = phase.deducts and bool(obligations)
    if not phase.deducts:
        reasons.append(f"{phase.name}：只计算、不扣分")
    return RegimeAnswer(
        day=day,
        phase=phase,
        regime=regime,
        obligations=frozenset(obligations),
        deducts=deducts,
        attendance_from=attendance_from,
        dock_deadline=dock_deadline,
        reasons=tuple(reasons),
    )


def phases_and_regimes_for(user: Any) -> tuple[list[Phase], list[Regime]]:
    """The dates of the regimes, shown on the rules page."""
    _require_read(user)
    return list(Phase.objects.order_by("starts_on")), list(Regime.objects.order_by("rank"))
