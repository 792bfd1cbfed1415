"""The project labor hub (labor/views/project.py) and the 进场核验 entry checks (smz.labor.services.entry
admits on them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.core.pii import masked
from smz.labor.models import (
    AgeRule,
    Blacklist,
    IdCardScan,
    LaborContract,
    SafetyTraining,
)
from smz.labor.selectors.contracts import contract_in_force
from smz.registry import scoping
from smz.registry.models import (
    Employment,
    Enterprise,
    KeyPost,
    Participant,
    Project,
    Team,
)


def enterprise_pick(pk: int | None) -> Enterprise | None:
    """The enterprise a hub form names (the service it is passed to checks the user's rights)."""
    return Enterprise.objects.filter(pk=pk or 0).first()


def team_pick(pk: int | None, *, project: Project | None = None) -> Team | None:
    """The team a hub form names, on the project when one is given."""
    qs = Team.objects.filter(pk=pk or 0)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.first()


def idcard_scan_pick(project: Project, pk: int | None) -> IdCardScan | None:
    """A card reader's scan on the project, named by a hub form."""
    return IdCardScan.objects.filter(project=project, pk=pk or 0).first()


def hub_employers_for(user: Any, project: Project) -> list[Enterprise]:
    """The employers on the project whose roster the user may maintain (not the builder or supervisor)."""
    return [
        p.enterprise
        for p in Participant.objects.filter(project=project).select_related("enterprise")
        if scoping.can_maintain_roster(user, project, p.enterprise_id)
        and p.corp_type not in {Participant.BUILDER, Participant.SUPERVISION}
    ]


def entries_awaiting_check(project: Project) -> QuerySet[Employment]:
    """Active employments on the project not yet checked for entry (gate pending)."""
    return Employment.objects.filter(
        project=project, status=Employment.Status.ACTIVE, gate_status="pending"
    )


def idcard_scans_new(project: Project, *, limit: int = 50) -> list[dict[str, Any]]:
    """The card reader's unregistered scans on the project, newest first, ID numbers masked."""
    return [
        {"s": s, "id_masked": masked(s.worker, "id_number")}
        for s in IdCardScan.objects.filter(project=project, status=IdCardScan.Status.NEW)
        .select_related("worker")
        .order_by("-received_at")[:limit]
    ]


def hub_teams(project: Project, employers: list[Enterprise]) -> QuerySet[Team]:
    """The project's teams of the given employers."""
    return Team.objects.filter(project=project, enterprise__in=employers)


def notice_board_facts(project: Project) -> dict[str, Any]:
    """What the 维权信息告示牌 names: participants, the GC's project manager, labor specialists, pay days."""
    return {
        "parts": list(Participant.objects.filter(project=project).select_related("enterprise")),
        "pm": KeyPost.objects.filter(project=project, post="P01").select_related("holder").first(),
        "specialists": [
            (u.enterprise.name if u.enterprise else "", u.display_name or u.username, "")
            for u in User.objects.filter(
                projects=project, role=Role.LABOR_SPECIALIST, is_active=True
            ).select_related("enterprise")
        ],
        "pay_days": list(
            LaborContract.objects.filter(
                employment__project=project, status=LaborContract.Status.ACTIVE
            ).values_list("pay_day", flat=True)
        ),
    }


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    level: str  # "block" | "warn"
    message: str


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def entry_checks(employment: Employment, today: dt.date | None = None) -> list[Check]:
    today = today or timezone.localdate()
    worker = employment.worker
    contract = contract_in_force(employment.pk, today)
    checks = [
        Check(
            "contract",
            contract is not None,
            "block",
            "已签订劳动合同" if contract else "未签订劳动合同（或合同已到期）",
        ),
    ]
    trained = SafetyTraining.objects.filter(
        project=employment.project_id, worker=worker.pk
    ).exists()
    checks.append(
        Check(
            "training",
            trained,
            "block",
            "已进行岗前安全培训" if trained else "未登记本项目岗前安全培训",
        )
    )
    barred = (
        Blacklist.objects.filter(worker=worker.pk, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .first()
    )
    checks.append(
        Check(
            "blacklist",
            barred is None,
            "block",
            "不在黑名单" if barred is None else f"在黑名单中：{barred.reason}",
        )
    )
    rule = AgeRule.objects.filter(valid_from__lte=today).order_by("-valid_from").first()
    if rule and worker.birth_date:
        age = _age(worker.birth_date, today)
        limit = rule.max_age_male if worker.gender == "1" else rule.max_age_female
        ok = rule.min_age <= age <= limit
        checks.append(
            Check(
                "age",
                ok,
                "block",
                f"年龄 {age} 岁" + ("" if ok else f"，超出本市规定（{rule.min_age}–{limit} 岁）"),
            )
        )
    valid_to = worker.id_valid_to
    id_ok = valid_to is None or valid_to >= today
    checks.append(
        Check(
            "id_valid",
            id_ok,
            "block",
            ("证件长期有效" if valid_to is None else f"证件有效期至 {valid_to:%Y-%m-%d}")
            + ("" if id_ok else "，已过期"),
        )
    )
    checks.append(
        Check(
            "face",
            bool(worker.face_photo),
            "block",
            "已采集现场人脸" if worker.face_photo else "未采集现场人脸照片",
        )
    )
    elsewhere = list(
        Employment.objects.filter(worker=worker.pk, status=Employment.Status.ACTIVE)
        .exclude(project=employment.project_id)
        .select_related("project")
        .values_list("project__name", flat=True)
    )
    checks.append(
        Check(
            "elsewhere",
            not elsewhere,
            "warn",
            "未在其他项目在场" if not elsewhere else "仍在其他项目在场：" + "、".join(elsewhere),
        )
    )
    return checks


def entries_awaiting_count(project: Project, employers: list[Enterprise]) -> int:
    """How many of the given employers' people on the project wait for their entry checks."""
    return entries_awaiting_check(project).filter(employer__in=[e.pk for e in employers]).count()


def entry_desk_facts(employment: Employment) -> dict[str, Any]:
    """The entry desk (进场核验) of one person: the checks, his trainings on the project, the last admissions."""
    employment.refresh_from_db()
    return {
        "checks": entry_checks(employment),
        "trainings": employment.worker.trainings.filter(project=employment.project),
        "admissions": employment.admissions.select_related("checked_by")[:5],
    }
