"""进场登记 (A2; 条例 Art.28 "未订立劳动合同并进行用工实名登记的人员不得进入施工现场"): the checks run before
a person registered at the entry desk is sent to the site's gates. Blocking checks: a labor contract in
force, safety training on this project, not on the blacklist, within the city's age rules, an ID document
still valid, a live face photo. A warning (not blocking): already active on another project."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.devices.services import zkteco_people_sync
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import Admission, SafetyTraining
from smz.labor.selectors import entry_checks
from smz.registry import scoping
from smz.registry.models import Employment


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
    if errors or trained_on is None:
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
