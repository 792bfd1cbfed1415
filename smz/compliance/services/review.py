"""Writes of the judgements (issue 13 items 4–5): proposing deductions from counted violations, their two-level
review, appeals and reversals. Every step is an event (core.Event, subject = the deduction or appeal); state
checks read rows locked with smz.core.locks. Nothing is deleted: a reversal is a new DeductionReversal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.events import ComplianceEventKind
from smz.compliance.models import (
    Appeal,
    AppealAttachment,
    Deduction,
    DeductionReversal,
    Violation,
)
from smz.compliance.selectors import today
from smz.compliance.selectors.review import (
    ACTION_LABELS,
    APPEAL_ROLES,
    TRANSITIONS,
    appeal_refusal,
    appeal_window_days,
    may,
    may_decide_appeal,
)
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.locks import lock_row
from smz.core.uploads import upload_check
from smz.notifications.services import notify_plain
from smz.registry.selectors import approving_authority

EVENTS = {
    "review": ComplianceEventKind.DEDUCTION_REVIEWED,
    "confirm": ComplianceEventKind.DEDUCTION_CONFIRMED,
    "dismiss": ComplianceEventKind.DEDUCTION_DISMISSED,
}
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class ProposeResult:
    created: int
    existing: int


def deductions_propose(day_from: dt.date, day_to: dt.date) -> ProposeResult:
    """One proposed Deduction per counted Violation of the days (idempotent: a violation that already has one
    is left alone), routed to the authority that answers for its project."""
    violations = (
        Violation.objects.filter(
            day__gte=day_from,
            day__lte=day_to,
            counted=True,
            enterprise__isnull=False,
            points__gt=0,
        )
        .select_related("project__jurisdiction")
        .order_by("pk")
    )
    created = existing = 0
    authorities: dict[int, Any] = {}
    new_by_authority: dict[int, int] = {}
    for violation in violations.iterator():
        if Deduction.objects.filter(violation=violation).exists():
            existing += 1
            continue
        project = violation.project
        enterprise_id = violation.enterprise_id
        assert enterprise_id is not None  # filtered above
        if project.jurisdiction_id not in authorities:
            authorities[project.jurisdiction_id] = approving_authority(project)
        with transaction.atomic():
            lock_row(Violation, pk=violation.pk)
            deduction, made = Deduction.objects.get_or_create(
                violation=violation,
                defaults={
                    "enterprise_id": enterprise_id,
                    "points": violation.points,
                    "authority": authorities[project.jurisdiction_id],
                },
            )
            if made:
                event_record(
                    actor=None,
                    kind=ComplianceEventKind.DEDUCTION_PROPOSED,
                    subject=deduction,
                    data={"violation": violation.pk, "points": str(deduction.points)},
                )
        created += made
        existing += not made
        if made:
            new_by_authority[authorities[project.jurisdiction_id].pk] = (
                new_by_authority.get(authorities[project.jurisdiction_id].pk, 0) + 1
            )
    for authority_id, count in new_by_authority.items():
        notify_plain(
            list(
                User.objects.filter(authority=authority_id, role=Role.APPROVER_L1, is_active=True)
            ),
            f"待一级审核扣分 {count} 条（{day_from:%Y-%m-%d} 至 {day_to:%Y-%m-%d}）",
            "每日核查发现的违规事实已生成拟扣分，请核对证据后审核。",
            reverse("compliance:deductions"),
        )
    return ProposeResult(created, existing)


def _refuse_transition(deduction: Deduction, action: str) -> DomainError:
    return DomainError(
        ComplianceErrorCode.INVALID_TRANSITION,
        f"当前状态（{deduction.get_state_display()}）不能执行“{ACTION_LABELS.get(action, action)}”",
        status=409,
    )


def _label(deduction: Deduction) -> str:
    v = deduction.violation
    return f"{v.project.name} {v.day:%Y-%m-%d} {v.rule_version.title}"


def _notify_confirmed(deduction: Deduction) -> None:
    users = list(
        User.objects.filter(
            enterprise=deduction.enterprise_id, role__in=sorted(APPEAL_ROLES), is_active=True
        )
    )
    notify_plain(
        users,
        f"扣分确认：{_label(deduction)} 扣 {deduction.points:g} 分",
        f"如有异议，请于 {deduction.appeal_until:%Y-%m-%d} 前在平台提出申诉并上传证明材料。",
        reverse("compliance:deduction", args=[deduction.pk]),
    )


@transaction.atomic
def deduction_act(*, actor: Any, deduction: Deduction, action: str, note: str = "") -> Deduction:
    """A review step: `review` (level 1, with its note), `confirm` or `dismiss` (level 2, never the reviewer).
    Confirmation opens the appeal window and notifies the enterprise."""
    if action not in TRANSITIONS:
        raise _refuse_transition(deduction, action)
    sources, target, who = TRANSITIONS[action]
    locked = lock_row(Deduction, pk=deduction.pk)
    if not may(actor, locked, who):
        raise Forbidden(
            "只有该项目审批部门的一级审批人审核、另一名二级审批人审定",
            code=ComplianceErrorCode.FORBIDDEN,
        )
    if locked.state not in sources:
        raise _refuse_transition(locked, action)
    note = note.strip()
    if action == "dismiss" and not note:
        raise DomainError(
            ComplianceErrorCode.NOTE_REQUIRED,
            "不予扣分须填写理由",
            {"fields": {"note": "必填"}},
            status=422,
        )
    now = timezone.now()
    locked.state = target
    if action == "review":
        locked.reviewed_by, locked.reviewed_at, locked.note = actor, now, note[:500]
    else:
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note[:500]
    if action == "confirm":
        locked.appeal_until = today() + dt.timedelta(days=appeal_window_days())
    locked.save()
    event_record(
        actor=actor,
        kind=EVENTS[action],
        subject=locked,
        data={"state": locked.state, "points": str(locked.points)},
    )
    if action == "confirm":
        _notify_confirmed(locked)
    return locked


@dataclass(frozen=True)
class BatchResult:
    done: list[int]
    refused: dict[int, str]


def deductions_act(
    *, actor: Any, deductions: list[Deduction], action: str, note: str = ""
) -> BatchResult:
    """The same step on several deductions; each on its own (one refused does not undo the others)."""
    done: list[int] = []
    refused: dict[int, str] = {}
    for deduction in deductions:
        try:
            deduction_act(actor=actor, deduction=deduction, action=action, note=note)
        except DomainError as exc:
            refused[deduction.pk] = exc.message
        else:
            done.append(deduction.pk)
    return BatchResult(done, refused)


# ---- appeals ---------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(
    *, actor: Any, deduction: Deduction, text: str, files: list[tuple[bytes, str]]
) -> Appeal:
    """The responsible enterprise appeals a confirmed deduction within its window, with text and attachments
    (PDF or images, private storage)."""
    locked = lock_row(Deduction, pk=deduction.pk)
    refusal = appeal_refusal(actor, locked)
    if refusal:
        if actor.enterprise_id != locked.enterprise_id or actor.role not in APPEAL_ROLES:
            raise Forbidden(refusal, code=ComplianceErrorCode.FORBIDDEN)
        raise DomainError(ComplianceErrorCode.APPEAL_CLOSED, refusal, status=409)
    text = text.strip()
    if not text:
        raise DomainError(
            ComplianceErrorCode.APPEAL_TEXT,
            "请填写申诉理由",
            {"fields": {"text": "必填"}},
            status=422,
        )
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(
            ComplianceErrorCode.APPEAL_TEXT,
            f"最多上传 {MAX_ATTACHMENTS} 个文件",
            {"fields": {"file": "文件过多"}},
            status=422,
        )
    checked = [(data, name, upload_check(data, filename=name)) for data, name in files]
    appeal = Appeal.objects.create(
        deduction=locked, enterprise_id=locked.enterprise_id, text=text, filed_by=actor
    )
    for data, name, kind in checked:
        attachment = AppealAttachment(
            appeal=appeal,
            content_type=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            original_name=name[:120],
            uploaded_by=actor,
        )
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save()
    event_record(
        actor=actor,
        kind=ComplianceEventKind.APPEAL_FILED,
        subject=appeal,
        data={"deduction": locked.pk, "attachments": len(checked)},
    )
    if locked.authority_id:
        approvers = list(
            User.objects.filter(
                authority=locked.authority_id,
                role__in=[Role.APPROVER_L1, Role.APPROVER_L2],
                is_active=True,
            )
        )
        notify_plain(
            approvers,
            f"扣分申诉待处理：{locked.enterprise.name}",
            _label(locked),
            reverse("compliance:appeal", args=[appeal.pk]),
        )
    return appeal


@transaction.atomic
def appeal_decide(*, actor: Any, appeal: Appeal, reverse_it: bool, decision: str) -> Appeal:
    """The jurisdiction upholds the deduction or reverses it; a reversal is a new DeductionReversal (the
    deduction stays, the credit score no longer counts it)."""
    locked_deduction = lock_row(Deduction, pk=appeal.deduction_id)
    locked = lock_row(Appeal, pk=appeal.pk)
    locked.deduction = locked_deduction
    if not may_decide_appeal(actor, locked):
        if locked.state != Appeal.State.FILED:
            raise DomainError(ComplianceErrorCode.APPEAL_DECIDED, "该申诉已处理", status=409)
        raise Forbidden(
            "只有该项目审批部门的审批人（非确认扣分者）可以处理申诉",
            code=ComplianceErrorCode.FORBIDDEN,
        )
    decision = decision.strip()
    if not decision:
        raise DomainError(
            ComplianceErrorCode.NOTE_REQUIRED,
            "请填写处理意见",
            {"fields": {"decision": "必填"}},
            status=422,
        )
    locked.state = Appeal.State.REVERSED if reverse_it else Appeal.State.UPHELD
    locked.decided_by, locked.decided_at, locked.decision = actor, timezone.now(), decision
    locked.save()
    if reverse_it and not DeductionReversal.objects.filter(deduction=locked_deduction).exists():
        DeductionReversal.objects.create(
            deduction=locked_deduction, reason=decision[:500], appeal=locked, decided_by=actor
        )
    event_record(
        actor=actor,
        kind=ComplianceEventKind.APPEAL_REVERSED
        if reverse_it
        else ComplianceEventKind.APPEAL_UPHELD,
        subject=locked,
        data={"deduction": locked_deduction.pk},
    )
    users = list(
        User.objects.filter(
            enterprise=locked.enterprise_id, role__in=sorted(APPEAL_ROLES), is_active=True
        )
    )
    notify_plain(
        users,
        f"申诉结果：{locked.get_state_display()}",
        _label(locked_deduction),
        reverse("compliance:appeal", args=[locked.pk]),
    )
    return locked
