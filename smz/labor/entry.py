"""进场登记 (A2; 条例 Art.28 "未订立劳动合同并进行用工实名登记的人员不得进入施工现场"): the checks run before
a person registered at the entry desk is sent to the site's gates. Blocking checks: a labor contract in
force, safety training on this project, not on the blacklist, within the city's age rules, an ID document
still valid, a live face photo. A warning (not blocking): already active on another project."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.devices.services import zkteco_people_sync
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import Admission, AgeRule, Blacklist, SafetyTraining
from smz.labor.services import contract_in_force
from smz.registry import scoping
from smz.registry.models import Employment


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


def training_record(
    *, actor: Any, employment: Employment, trained_on: dt.date | None, course: str, hours: str
) -> SafetyTraining:
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权登记该人员的培训")
    try:
        h = Decimal(hours)
    except ArithmeticError:
        h = Decimal(-1)
    errors = {}
    if trained_on is None or trained_on > timezone.localdate():
        errors["trained_on"] = "请填写培训日期（不晚于今天）"
    if not course.strip():
        errors["course"] = "请填写培训内容"
    if not Decimal(0) < h <= Decimal(100):
        errors["hours"] = "学时应为 0–100"
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        training = SafetyTraining.objects.create(
            project=employment.project,
            worker=employment.worker,
            trained_on=trained_on,
            course=course.strip()[:80],
            hours=h,
            recorded_by=actor,
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.TRAINING_RECORDED,
            subject=training,
            data={"employment": employment.pk},
        )
    return training


def entry_admit(*, actor: Any, employment: Employment) -> Admission:
    """Run the checks; if none blocks, send the person to the gates (devices pull him, ZKTeco told)."""
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该人员办理进场")
    checks = entry_checks(employment)
    blocked = [c for c in checks if not c.ok and c.level == "block"]
    with transaction.atomic():
        admission = Admission.objects.create(
            employment=employment,
            checks=[asdict(c) for c in checks],
            admitted=not blocked,
            checked_by=actor,
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.ENTRY_CHECKED,
            subject=employment,
            data={"admitted": not blocked, "failed": [c.code for c in checks if not c.ok]},
        )
        if not blocked:
            Employment.objects.filter(pk=employment.pk).update(
                gate_status="admitted", updated_at=timezone.now()
            )
            zkteco_people_sync(
                actor=actor, projects=[employment.project_id], workers=[employment.worker_id]
            )
    if blocked:  # the refusal itself is kept (the admission row above) before the page hears of it
        raise DomainError(
            LaborErrorCode.ENTRY_BLOCKED,
            "未通过进场核验：" + "；".join(c.message for c in blocked),
            {"checks": [asdict(c) for c in checks]},
        )
    return admission


def entries_admit_all(*, actor: Any, project: Any) -> tuple[int, list[str]]:
    """批量进场核验: run the entry checks for everyone waiting whom the actor may act for, each in its own
    transaction (a refusal is kept); returns how many were admitted and the names of those refused."""
    admitted, refused = 0, []
    for employment in Employment.objects.filter(
        project=project, status=Employment.Status.ACTIVE, gate_status="pending"
    ).select_related("worker", "project"):
        if not scoping.can_maintain_roster(actor, project, employment.employer_id):
            continue
        try:
            entry_admit(actor=actor, employment=employment)
            admitted += 1
        except DomainError:
            refused.append(employment.worker.name)
    return admitted, refused


def entry_hold(*, actor: Any, employment: Employment) -> None:
    """Registered at the entry desk: wait for the checks before the gates learn of him."""
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden()
    Employment.objects.filter(pk=employment.pk).update(
        gate_status="pending", updated_at=timezone.now()
    )
    event_record(actor=actor, kind=LaborEventKind.ENTRY_PENDING, subject=employment)
