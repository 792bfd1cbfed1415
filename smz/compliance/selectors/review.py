"""Reads of the judgements (issue 13 items 4–6): the review queue, a deduction with its evidence, appeals, and the
enterprise credit score. Who may take which step is decided here (pure reads), so pages show exactly the buttons
the services accept.

Two-level review (docs/compliance/review.md): the deduction is routed to the authority that answers for its
project (`approving_authority`), and the approval engine's own level checks (`smz.approvals.rules.is_level`) say
who acts — an APPROVER_L1 of that authority reviews, an APPROVER_L2 of it, never the reviewer, confirms or
dismisses.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from openpyxl import Workbook

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role
from smz.approvals.rules import is_level
from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import (
    Appeal,
    AppealAttachment,
    Deduction,
    DeductionReversal,
    Evidence,
    LegacyIntegrityRecord,
)
from smz.compliance.selectors import today
from smz.compliance.selectors.legacy import legacy_points_by_enterprise
from smz.core.errors import Forbidden, NotFound
from smz.core.xlsx import safe_row
from smz.registry import scoping
from smz.registry.models import Enterprise

DATA = Path(__file__).resolve().parents[1] / "data"

# Days an enterprise has to appeal a confirmed deduction (N4); settings.SMZ_APPEAL_WINDOW_DAYS overrides.
APPEAL_WINDOW_DAYS = 15

# Roles of the responsible enterprise that may file an appeal.
APPEAL_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST})

# action → (states it may start from, state it leads to, who may take it): the approval engine's table, for
# deductions (forward → review, approve → confirm, reject → dismiss).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "review": ((Deduction.State.PROPOSED,), Deduction.State.REVIEWED, "level1"),
    "confirm": ((Deduction.State.REVIEWED,), Deduction.State.CONFIRMED, "level2"),
    "dismiss": ((Deduction.State.REVIEWED,), Deduction.State.DISMISSED, "level2"),
}
ACTION_LABELS = {
    "review": "一级审核通过，转二级审定",
    "confirm": "确认扣分",
    "dismiss": "不予扣分",
}


def appeal_window_days() -> int:
    return int(getattr(settings, "SMZ_APPEAL_WINDOW_DAYS", APPEAL_WINDOW_DAYS))


def _role(user: Any) -> str:
    return Role.CITY_ADMIN if user.is_superuser and not user.role else user.role


def _city_wide(user: Any) -> bool:
    if user.is_superuser:
        return True
    authority = getattr(user, "authority", None)
    return _role(user) in AUTHORITY_ROLES and authority is not None and authority.city_wide


# ---- who may do what -------------------------------------------------------------------------------


def may(user: Any, deduction: Deduction, who: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if who == "level1":
        return is_level(user, deduction, Role.APPROVER_L1)
    if who == "level2":
        return is_level(user, deduction, Role.APPROVER_L2) and user.pk != deduction.reviewed_by_id
    raise ValueError(who)


def actions_for(user: Any, deduction: Deduction) -> list[str]:
    """The review steps this user may take now on this deduction."""
    return [
        action
        for action, (sources, _target, who) in TRANSITIONS.items()
        if deduction.state in sources and may(user, deduction, who)
    ]


def is_reversed(deduction: Deduction) -> bool:
    return DeductionReversal.objects.filter(deduction=deduction).exists()


def appeal_refusal(user: Any, deduction: Deduction, *, day: dt.date | None = None) -> str:
    """Why this user may not appeal this deduction now ('' when they may)."""
    day = day or today()
    if not (
        getattr(user, "is_authenticated", False)
        and user.role in APPEAL_ROLES
        and user.enterprise_id == deduction.enterprise_id
    ):
        return "只有责任企业的企业管理员或劳资专管员可以申诉"
    if deduction.state != Deduction.State.CONFIRMED or is_reversed(deduction):
        return "只有已确认且未撤销的扣分可以申诉"
    if deduction.appeal_until is None or day > deduction.appeal_until:
        return "已超过申诉期限"
    if deduction.appeals.filter(state=Appeal.State.FILED).exists():
        return "已有待处理的申诉"
    return ""


def may_decide_appeal(user: Any, appeal: Appeal) -> bool:
    """The jurisdiction decides: an approver (either level) of the deduction's authority, not the person who
    confirmed the deduction."""
    deduction = appeal.deduction
    return (
        appeal.state == Appeal.State.FILED
        and getattr(user, "is_authenticated", False)
        and (
            is_level(user, deduction, Role.APPROVER_L1)
            or is_level(user, deduction, Role.APPROVER_L2)
        )
        and user.pk != deduction.decided_by_id
    )


# ---- scope -----------------------------------------------------------------------------------------


def deductions_for(user: Any) -> QuerySet[Deduction]:
    """An enterprise sees its own deductions; an authority its jurisdiction's projects'; the city all."""
    qs = Deduction.objects.select_related(
        "violation__project", "violation__rule", "violation__rule_version", "enterprise"
    )
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _city_wide(user):
        return qs
    if _role(user) in AUTHORITY_ROLES and user.authority_id:
        return qs.filter(violation__project__in=scoping.projects_for(user).values("pk"))
    if user.role in ENTERPRISE_ROLES and user.enterprise_id:
        return qs.filter(enterprise=user.enterprise_id)
    return qs.none()


def _require_staff(user: Any) -> None:
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        raise Forbidden("无权查看扣分", code=ComplianceErrorCode.FORBIDDEN)


@dataclass(frozen=True)
class Queue:
    rows: Sequence[Deduction]
    state: str
    tabs: list[tuple[str, str, int]]
    batch_actions: list[tuple[str, str]]


def queue_for(user: Any, *, state: str = "") -> Queue:
    """The deductions list: for approvers the review queue (default: what awaits their level)."""
    _require_staff(user)
    qs = deductions_for(user).annotate(
        reversed=Exists(DeductionReversal.objects.filter(deduction=OuterRef("pk")))
    )
    if not state:
        if user.role == Role.APPROVER_L1:
            state = Deduction.State.PROPOSED
        elif user.role == Role.APPROVER_L2:
            state = Deduction.State.REVIEWED
    counts = {s: 0 for s in Deduction.State.values}
    for row in deductions_for(user).order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    if state in Deduction.State.values:
        qs = qs.filter(state=state)
    else:
        state = ""
    rows = list(qs.order_by("-violation__day", "pk")[:500])
    batch = sorted({a for d in rows for a in actions_for(user, d)}, key=list(TRANSITIONS).index)
    tabs = [(value, label, counts[value]) for value, label in Deduction.State.choices]
    return Queue(rows, state, tabs, [(a, ACTION_LABELS[a]) for a in batch])


def deduction_get_for(user: Any, pk: int) -> Deduction:
    _require_staff(user)
    deduction = deductions_for(user).filter(pk=pk).first()
    if deduction is None:
        raise NotFound("扣分")
    return deduction


def deductions_by_ids_for(user: Any, pks: list[int]) -> list[Deduction]:
    return list(deductions_for(user).filter(pk__in=pks).order_by("pk"))


# ---- evidence --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceLink:
    label: str
    text: str
    url: str


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def evidence_links(deduction: Deduction) -> list[EvidenceLink]:
    """The violation's evidence, each record linked to its page (N4: every deduction traceable)."""
    violation = deduction.violation
    project = violation.project
    links: list[EvidenceLink] = [
        EvidenceLink("项目", project.name, _url("portal:project_detail", project.pk))
    ]
    # kind → how to link one id of it
    pages: dict[str, tuple[str, bool]] = {
        Evidence.KEY_POST_DAY: ("attendance:calendar", False),
        Evidence.KEY_POST: ("portal:project_detail", False),
        Evidence.KEY_POST_CHANGE: ("approvals:detail", True),
        Evidence.PASS: ("attendance:snapshot", True),
        Evidence.DEVICE: ("devices:project", False),
        Evidence.SITE_BOUNDARY: ("devices:project", False),
        Evidence.EMPLOYMENT: ("labor:entry", True),
        Evidence.CONTRACT: ("labor:contract", True),
        Evidence.PAYROLL: ("labor:payroll", True),
        Evidence.APPROVAL: ("approvals:detail", True),
        Evidence.CAMERA: ("video:camera", True),
        "entrance": ("video:entrance", True),
        "worker": ("portal:worker_detail", True),
        "identity_check": ("faceid:check", True),
    }
    labels = dict(Evidence.choices) | {
        "worker": "人员",
        "entrance": "出入口",
        "declaration": "拟开工日期申报",
        "identity_check": "人脸核验（非本人）",
    }
    for kind, value in (violation.evidence or {}).items():
        if kind == "text":
            continue
        ids = value if isinstance(value, list) else [value]
        page = pages.get(kind)
        for item in ids:
            if page is None:
                url = ""
            else:
                name, own_id = page
                url = _url(name, item if own_id else project.pk)
            links.append(EvidenceLink(labels.get(kind, kind), f"#{item}", url))
    return links


@dataclass
class DeductionPage:
    deduction: Deduction
    evidence: list[EvidenceLink]
    text: str
    actions: list[tuple[str, str]]
    reversal: DeductionReversal | None
    appeals: list[Appeal]
    appeal_refusal: str
    may_appeal: bool = field(init=False)

    def __post_init__(self) -> None:
        self.may_appeal = not self.appeal_refusal


def deduction_page_for(user: Any, pk: int) -> DeductionPage:
    deduction = deduction_get_for(user, pk)
    reversal = DeductionReversal.objects.filter(deduction=deduction).first()
    refusal = appeal_refusal(user, deduction)
    return DeductionPage(
        deduction=deduction,
        evidence=evidence_links(deduction),
        text=str((deduction.violation.evidence or {}).get("text", "")),
        actions=[(a, ACTION_LABELS[a]) for a in actions_for(user, deduction)],
        reversal=reversal,
        appeals=list(deduction.appeals.select_related("filed_by", "decided_by")),
        appeal_refusal=refusal,
    )


# ---- appeals ---------------------------------------------------------------------------------------


def appeals_for(user: Any) -> QuerySet[Appeal]:
    return Appeal.objects.filter(deduction__in=deductions_for(user).values("pk")).select_related(
        "deduction__violation__project", "deduction__violation__rule", "enterprise"
    )


def appeal_list_for(user: Any, *, state: str = "") -> list[Appeal]:
    _require_staff(user)
    qs = appeals_for(user)
    if state in Appeal.State.values:
        qs = qs.filter(state=state)
    return list(qs[:500])


def appeal_get_for(user: Any, pk: int) -> Appeal:
    _require_staff(user)
    appeal = appeals_for(user).filter(pk=pk).first()
    if appeal is None:
        raise NotFound("申诉")
    return appeal


def appeal_attachment_get_for(user: Any, pk: int) -> AppealAttachment:
    _require_staff(user)
    attachment = (
        AppealAttachment.objects.filter(pk=pk, appeal__in=appeals_for(user).values("pk"))
        .select_related("appeal")
        .first()
    )
    if attachment is None:
        raise NotFound("申诉材料")
    return attachment


# ---- enterprise credit -----------------------------------------------------------------------------


@cache
def credit_table() -> dict[str, Any]:
    """The grade thresholds (smz/compliance/data/credit_grades.json), highest first."""
    data = json.loads((DATA / "credit_grades.json").read_text(encoding="utf-8"))
    data["grades"] = sorted(data["grades"], key=lambda g: -g["min_score"])
    return data


def grade_for(score: Decimal) -> tuple[str, str]:
    for g in credit_table()["grades"]:
        if score >= g["min_score"]:
            return g["grade"], g["label"]
    last = credit_table()["grades"][-1]
    return last["grade"], last["label"]


def credit_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The rolling window: the 365 days ending on `as_of` (by violation day)."""
    return as_of - dt.timedelta(days=int(credit_table()["window_days"]) - 1), as_of


def counted_deductions() -> QuerySet[Deduction]:
    """Deductions that cost points: confirmed and not reversed."""
    return Deduction.objects.filter(state=Deduction.State.CONFIRMED).exclude(
        Exists(DeductionReversal.objects.filter(deduction=OuterRef("pk")))
    )


def _in_window(qs: QuerySet[Deduction], as_of: dt.date) -> QuerySet[Deduction]:
    start, end = credit_window(as_of)
    return qs.filter(violation__day__gte=start, violation__day__lte=end)


def score_of(points: Decimal | None) -> Decimal:
    base = Decimal(credit_table()["base"])
    return max(Decimal(0), base - (points or Decimal(0)))


@dataclass(frozen=True)
class CreditRow:
    enterprise: Enterprise
    points: Decimal
    score: Decimal
    grade: str
    grade_label: str


def _require_credit_read(user: Any) -> None:
    """The public list (names, scores, grades): authorities, contractors and builders (建设单位 choose contractors
    by it, notice 四（三）)."""
    if not (
        scoping.is_authority(user) or scoping.is_enterprise_user(user) or scoping.is_builder(user)
    ):
        raise Forbidden("无权查看企业信用", code=ComplianceErrorCode.FORBIDDEN)


def _points_by_enterprise(as_of: dt.date) -> dict[int, Decimal]:
    """The points each enterprise lost in the window ending on `as_of` (absent: none)."""
    totals = dict(
        _in_window(counted_deductions(), as_of)
        .values("enterprise")
        .annotate(total=Sum("points"))
        .values_list("enterprise", "total")
    )
    # The old integrity system's imported records count in the same window (issue 13 item 3).
    for pk, points in legacy_points_by_enterprise(*credit_window(as_of)).items():
        totals[pk] = (totals.get(pk) or Decimal(0)) + points
    return totals


def credit_rows(*, as_of: dt.date | None = None, q: str = "") -> list[CreditRow]:
    """Every enterprise's score and grade on `as_of` (the public list: names, scores and grades)."""
    as_of = as_of or today()
    totals = _points_by_enterprise(as_of)
    enterprises = Enterprise.objects.order_by("name")
    if q:
        enterprises = enterprises.filter(Q(name__icontains=q) | Q(corp_code__icontains=q))
    rows = []
    for e in enterprises:
        points = totals.get(e.pk) or Decimal(0)
        score = score_of(points)
        grade, label = grade_for(score)
        rows.append(CreditRow(e, points, score, grade, label))
    rows.sort(key=lambda r: (r.score, r.enterprise.name))
    return rows


def grade_counts(
    *, as_of: dt.date, enterprise_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """How many enterprises hold each grade (A–D, highest first) on `as_of`; only `enterprise_ids` when given."""
    counts: dict[str, int] = {}
    wanted = None if enterprise_ids is None else set(enterprise_ids)
    totals = _points_by_enterprise(as_of)
    # credit_rows' grades, counted from the enterprises' ids: no enterprise read, nothing sorted (the city's
    # 500 enterprises on its home page; smz/testing/compliance_reports.reference_grade_counts compares).
    grades: dict[Decimal, str] = {}
    for pk in Enterprise.objects.order_by().values_list("pk", flat=True):
        if wanted is None or pk in wanted:
            points = totals.get(pk) or Decimal(0)
            if (grade := grades.get(points)) is None:
                grade = grades[points] = grade_for(score_of(points))[0]
            counts[grade] = counts.get(grade, 0) + 1
    return [
        {
            "grade": g["grade"],
            "label": f"{g['grade']}（{g['label']}）",
            "count": counts.get(g["grade"], 0),
        }
        for g in credit_table()["grades"]
    ]


def credit_list_for(user: Any, *, q: str = "") -> list[CreditRow]:
    _require_credit_read(user)
    return credit_rows(q=q)


@dataclass
class CreditDetail:
    row: CreditRow
    as_of: dt.date
    window: tuple[dt.date, dt.date]
    items: list[Deduction]
    hidden_points: Decimal
    history: Sequence[Deduction]
    table: dict[str, Any]
    legacy_items: list[LegacyIntegrityRecord] = field(default_factory=list)
    legacy_points: Decimal = Decimal(0)


def credit_detail_for(
    user: Any, enterprise_pk: int, *, as_of: dt.date | None = None
) -> CreditDetail:
    """One enterprise's score explained point by point: its own staff and the authorities read it; another
    enterprise gets 404. An authority sees the items of its jurisdiction; points from elsewhere are summed."""
    _require_credit_read(user)
    if scoping.is_builder(user):
        raise Forbidden("建设单位只能查看公开的信用名单", code=ComplianceErrorCode.FORBIDDEN)
    if scoping.is_enterprise_user(user) and user.enterprise_id != enterprise_pk:
        raise NotFound("企业")
    enterprise = Enterprise.objects.filter(pk=enterprise_pk).first()
    if enterprise is None:
        raise NotFound("企业")
    as_of = as_of or today()
    counted = _in_window(counted_deductions().filter(enterprise=enterprise), as_of)
    start, end = credit_window(as_of)
    legacy_items = list(
        LegacyIntegrityRecord.objects.filter(enterprise=enterprise, day__gte=start, day__lte=end)
        .select_related("project")
        .order_by("-day", "pk")
    )
    legacy_points = sum((r.points for r in legacy_items), Decimal(0))
    total = (counted.aggregate(total=Sum("points"))["total"] or Decimal(0)) + legacy_points
    visible = deductions_for(user).filter(enterprise=enterprise)
    items = list(visible.filter(pk__in=counted.values("pk")).order_by("-violation__day", "pk"))
    shown = sum((d.points for d in items), Decimal(0)) + legacy_points
    history = list(
        visible.exclude(pk__in=counted.values("pk"))
        .annotate(reversed=Exists(DeductionReversal.objects.filter(deduction=OuterRef("pk"))))
        .filter(state__in=[Deduction.State.CONFIRMED, Deduction.State.DISMISSED])
        .prefetch_related("appeals")
        .order_by("-violation__day", "pk")[:200]
    )
    score = score_of(total)
    grade, label = grade_for(score)
    return CreditDetail(
        row=CreditRow(enterprise, total, score, grade, label),
        as_of=as_of,
        window=credit_window(as_of),
        items=items,
        hidden_points=total - shown,
        history=history,
        table=credit_table(),
        legacy_items=legacy_items,
        legacy_points=legacy_points,
    )


def credit_xlsx_for(book: Workbook, user: Any) -> None:
    """The public list of enterprise grades written into a write-only workbook (smz.core.downloads), row by row
    (every cell through safe_cell)."""
    rows = credit_list_for(user)
    as_of = today()
    start, end = credit_window(as_of)
    sheet = book.create_sheet("企业信用等级")
    sheet.append(safe_row([f"企业信用等级公示（统计期 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}）"]))
    sheet.append(safe_row(["企业名称", "统一社会信用代码", "扣分", "信用得分", "信用等级"]))
    for r in rows:
        sheet.append(
            safe_row(
                [
                    r.enterprise.name,
                    r.enterprise.corp_code,
                    float(r.points),
                    float(r.score),
                    r.grade,
                ]
            )
        )
