"""The one approval engine (二级审批, notice 三(八)–(十二)) and the workflows on it (WF1–WF3, WF5): its writes.

State machine (the table and who may take which step: smz/approvals/rules.py; invalid transitions are refused
with `approval.invalid_transition`):

    draft ──submit──▶ pending_l1 ──forward──▶ pending_l2 ──approve──▶ approved (the effect applies)
      ▲                  │                        ├──reject───▶ rejected
      │                  └──return──▶ returned ◀──┘ return
      │                                 └──resubmit──▶ pending_l1
    withdraw: from any open state ──▶ withdrawn

Routing (smz.registry.selectors.approving_authority): the four urban districts → the city safety affairs center;
every other town → its own housing department (notice 三(一)2–3). Level 1 is an APPROVER_L1 of that authority,
level 2 an APPROVER_L2, and never the person who acted at level 1. Every step is an event in core.Event
(subject = the request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.approvals.documents import photo_stamp
from smz.approvals.errors import ApprovalsErrorCode
from smz.approvals.events import ApprovalsEventKind
from smz.approvals.models import (
    ApprovalRequest,
    Attachment,
    AttachmentKind,
    RequestKind,
    State,
)
from smz.approvals.rules import (
    ACTION_LABELS,
    LEVEL_DAYS,
    TRANSITIONS,
    is_applicant_side,
    is_level,
    may,
    may_apply,
)
from smz.approvals.signals import DECISIONS, request_decided
from smz.approvals.workflows import (
    REQUIRED_ATTACHMENTS,
    approval_apply,
    workflow_check,
)
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.locks import lock_row
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import CONTENT_TYPES, EXTENSIONS, upload_check
from smz.notifications.services import notify_plain
from smz.registry.models import Project
from smz.registry.selectors import approving_authority

# ---- notifications ---------------------------------------------------------------------------------


def _approvers(request: ApprovalRequest, role: str) -> list[User]:
    qs = User.objects.filter(authority=request.authority_id, role=role, is_active=True)
    if role == Role.APPROVER_L2 and request.level1_by_id:
        qs = qs.exclude(pk=request.level1_by_id)
    return list(qs)


def notify(users: list[User], request: ApprovalRequest, title: str, body: str = "") -> None:
    """Notice about a request, linked to it: in the portal and by email (smz.notifications)."""
    notify_plain(
        users, title, body, reverse("approvals:detail", args=[request.pk]), request_id=request.pk
    )


def _notify_after(request: ApprovalRequest, action: str) -> None:
    label = f"{request.no} {request.project.name}：{request.get_kind_display()}"
    if action in {"submit", "resubmit"}:
        notify(_approvers(request, Role.APPROVER_L1), request, f"待一级审核 {label}")
    elif action == "forward":
        notify(_approvers(request, Role.APPROVER_L2), request, f"待二级审批 {label}")
    elif action in {"return", "approve", "reject"}:
        notify([request.applicant], request, f"{ACTION_LABELS[action]} {label}")


# ---- writes ----------------------------------------------------------------------------------------


def _event(actor: Any, request: ApprovalRequest, action: str, **data: Any) -> None:
    event_record(
        actor=actor,
        kind=ApprovalsEventKind(f"approval.{action}"),
        subject=request,
        data={"role": getattr(actor, "role", "") or "system", "state": request.state, **data},
    )


def request_create(
    *,
    actor: Any,
    project: Project,
    kind: str,
    requested_date: dt.date | None,
    reason: str,
    contact_phone: str = "",
) -> ApprovalRequest:
    """A draft request, routed to its authority, checked against its workflow's rules."""
    if kind not in RequestKind.values:
        raise DomainError(ApprovalsErrorCode.KIND, "不支持的申请类型", {"fields": {"kind": "无效"}})
    if not may_apply(actor, project):
        raise Forbidden("只有本项目施工总承包单位的企业管理员、劳资专管员或项目经理可以提交申请")
    reason = reason.strip()
    if not reason:
        raise DomainError(
            ApprovalsErrorCode.REASON_REQUIRED, "请填写申请理由", {"fields": {"reason": "必填"}}
        )
    facts = workflow_check(project=project, kind=kind, requested_date=requested_date)
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                no=temporary_no(),
                kind=kind,
                project=project,
                authority=approving_authority(project),
                applicant=actor,
                enterprise_id=actor.enterprise_id,
                requested_date=requested_date,
                reason=reason[:2000],
                contact_phone=contact_phone[:20],
                facts=facts,
            )
            dated_no(request, "SQ", width=5)
            _event(actor, request, "create", requested_date=str(requested_date or ""))
    except IntegrityError as exc:
        raise DomainError(
            ApprovalsErrorCode.OPEN_EXISTS,
            f"本项目已有一份未办结的「{RequestKind(kind).label}」申请，请在原申请上继续办理",
            status=409,
        ) from exc
    return request


def request_update(
    *,
    actor: Any,
    request: ApprovalRequest,
    requested_date: dt.date | None,
    reason: str,
    contact_phone: str = "",
) -> ApprovalRequest:
    """Change a draft or a returned request."""
    _editable(actor, request, "修改")  # early answer; checked again under the lock below
    reason = reason.strip()
    if not reason:
        raise DomainError(
            ApprovalsErrorCode.REASON_REQUIRED, "请填写申请理由", {"fields": {"reason": "必填"}}
        )
    facts = workflow_check(
        project=request.project, kind=request.kind, requested_date=requested_date
    )
    with transaction.atomic():
        request = _lock(request)
        _editable(actor, request, "修改")
        request.requested_date = requested_date
        request.reason = reason[:2000]
        request.contact_phone = contact_phone[:20]
        request.facts = facts
        request.save(
            update_fields=["requested_date", "reason", "contact_phone", "facts", "updated_at"]
        )
        _event(actor, request, "update", requested_date=str(requested_date or ""))
    return request


SINGLE_FILE_KINDS = frozenset(
    {AttachmentKind.FORM_SCAN, AttachmentKind.PHOTO_SHEET_SCAN, AttachmentKind.SAFETY_REPORT}
)


def attachment_add(
    *, actor: Any, request: ApprovalRequest, kind: str, data: bytes, filename: str
) -> Attachment:
    """Upload a scan (PDF/JPEG/PNG, checked by content, ≤ 10 MB) or a site photo (JPEG/PNG). A new scan of
    the same kind supersedes the old one, which is kept."""
    _editable(actor, request, "上传材料")  # early answer; checked again under the lock below
    if kind not in AttachmentKind.values:
        raise DomainError(
            ApprovalsErrorCode.ATTACHMENT_KIND, "材料类型无效", {"fields": {"kind": "无效"}}
        )
    allowed = (
        frozenset({"jpeg", "png"})
        if kind == AttachmentKind.SITE_PHOTO
        else frozenset({"pdf", "jpeg", "png"})
    )
    content_kind = upload_check(data, filename=filename, allowed=allowed)
    taken_at, time_source = None, ""
    if kind == AttachmentKind.SITE_PHOTO:
        stamped = photo_stamp(data, project_name=request.project.name, uploaded_at=timezone.now())
        taken_at, time_source = stamped.taken_at, stamped.time_source
    now = timezone.now()
    with transaction.atomic():
        # A submit in flight waits for this upload, or this upload sees the request submitted.
        request = _lock(request)
        _editable(actor, request, "上传材料")
        if kind in SINGLE_FILE_KINDS:
            Attachment.objects.filter(
                request=request, kind=kind, superseded_at__isnull=True
            ).update(superseded_at=now)
        attachment = Attachment(
            request=request,
            kind=kind,
            content_type=CONTENT_TYPES[content_kind],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            original_name=(filename or "upload")[-120:],
            taken_at=taken_at,
            time_source=time_source,
            uploaded_by=actor,
        )
        attachment.file.save(f"scan{EXTENSIONS[content_kind]}", ContentFile(data), save=False)
        attachment.save()
        _event(actor, request, "attach", attachment=attachment.pk, kind=kind)
    return attachment


def attachment_remove(*, actor: Any, attachment: Attachment) -> None:
    """Take a site photo or scan back out of a draft (it is kept as superseded)."""
    _editable(actor, attachment.request, "删除材料")
    with transaction.atomic():
        request = _lock(attachment.request)
        _editable(actor, request, "删除材料")
        Attachment.objects.filter(pk=attachment.pk, superseded_at__isnull=True).update(
            superseded_at=timezone.now()
        )
        _event(actor, request, "attach", attachment=attachment.pk, removed=True)


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    """The request's row, locked and fresh (its project joined); attachments are written under it."""
    return lock_row(ApprovalRequest.objects.select_related("project"), pk=request.pk)


def _editable(actor: Any, request: ApprovalRequest, what: str) -> None:
    """Only the applicant side changes a request, and only while it is a draft or returned."""
    if not is_applicant_side(actor, request):
        raise Forbidden()
    if request.state not in (State.DRAFT, State.RETURNED):
        raise _invalid(request, what)


def missing_attachments(request: ApprovalRequest) -> list[str]:
    have = set(
        request.attachments.filter(superseded_at__isnull=True).values_list("kind", flat=True)
    )
    return [k for k in REQUIRED_ATTACHMENTS[request.kind] if k not in have]


def _invalid(request: ApprovalRequest, what: str) -> DomainError:
    return DomainError(
        ApprovalsErrorCode.INVALID_TRANSITION,
        f"申请当前状态为「{request.get_state_display()}」，不能{what}",
        {"state": request.state},
        status=409,
    )


@dataclass(frozen=True)
class Outcome:
    request: ApprovalRequest
    effect: str = ""


def request_act(*, actor: Any, request: ApprovalRequest, action: str, note: str = "") -> Outcome:
    """Take one transition of the state machine, with its checks, event, notifications and effect."""
    if action not in TRANSITIONS:
        raise DomainError(ApprovalsErrorCode.ACTION, "无效的操作", {"fields": {"action": "无效"}})
    note = note.strip()[:1000]
    if action in {"return", "reject"} and not note:
        raise DomainError(
            ApprovalsErrorCode.NOTE_REQUIRED,
            "退回或不予批准须填写理由",
            {"fields": {"note": "必填"}},
        )
    with transaction.atomic():
        request = _lock(request)
        sources, target, who = TRANSITIONS[action]
        if request.state not in sources:
            raise _invalid(request, ACTION_LABELS[action])
        if not may(actor, request, who):
            if who == "level2" and actor.pk == request.level1_by_id:
                raise Forbidden(
                    "同一人不能同时办理一级审核和二级审批", code=ApprovalsErrorCode.SAME_PERSON
                )
            raise Forbidden("该申请当前不在您的办理环节", code=ApprovalsErrorCode.NOT_YOUR_STEP)
        if action in {"submit", "resubmit", "approve"}:
            # The rules are checked again: the project may have changed since the request was made. Dates
            # are judged on the day of submission (an extension applied for in time stays in time).
            submitted = (
                timezone.localtime(request.submitted_at).date() if action == "approve" else None
            )
            request.facts = workflow_check(
                project=request.project,
                kind=request.kind,
                requested_date=request.requested_date,
                today=submitted,
            )
        if action in {"submit", "resubmit"} and (missing := missing_attachments(request)):
            raise DomainError(
                ApprovalsErrorCode.ATTACHMENTS_MISSING,
                "缺少材料：" + "、".join(AttachmentKind(k).label for k in missing),
                {"missing": missing},
            )
        now = timezone.now()
        previous = request.state
        request.state = target
        request.waiting_since = now
        request.reminded_at = None
        request.due_at = (
            now + dt.timedelta(days=LEVEL_DAYS[target]) if target in LEVEL_DAYS else None
        )
        if action in {"submit", "resubmit"}:
            request.submitted_at = now
            request.level1_by = None
        if action == "forward":
            request.level1_by = actor
        if action in {"approve", "reject"}:
            request.level2_by = actor
        if target in (State.APPROVED, State.REJECTED, State.WITHDRAWN):
            request.decided_at = now
        effect = ""
        if action == "approve":
            request.effective_on, effect = approval_apply(actor, request)
        request.save()
        _event(actor, request, action, note=note, previous=previous)
        if effect:
            _event(actor, request, "apply", effect=effect)
        _notify_after(request, action)
        if action in DECISIONS:
            request_decided.send(
                sender=ApprovalRequest, request=request, action=action, actor=actor, note=note
            )
    return Outcome(request=request, effect=effect)


def request_comment(*, actor: Any, request: ApprovalRequest, note: str) -> None:
    """A remark on the record, from the applicant side or the routed authority's approvers."""
    note = note.strip()[:1000]
    if not note:
        raise DomainError(
            ApprovalsErrorCode.NOTE_REQUIRED, "请填写意见", {"fields": {"note": "必填"}}
        )
    if not (
        is_applicant_side(actor, request)
        or is_level(actor, request, Role.APPROVER_L1)
        or is_level(actor, request, Role.APPROVER_L2)
    ):
        raise Forbidden()
    _event(actor, request, "comment", note=note)


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind the approvers of every overdue request once a day (催办)."""
    now = now or timezone.now()
    sent = 0
    overdue_pks = ApprovalRequest.objects.filter(
        state__in=[State.PENDING_L1, State.PENDING_L2], due_at__lt=now
    ).values_list("pk", flat=True)
    for pk in list(overdue_pks):
        with transaction.atomic():
            # Checked on the locked row: a request decided meanwhile, or reminded by another run, is skipped.
            request = lock_row(ApprovalRequest.objects.select_related("project"), pk=pk)
            if request.state not in (State.PENDING_L1, State.PENDING_L2) or not (
                request.due_at and request.due_at < now
            ):
                continue
            if request.reminded_at and now - request.reminded_at < dt.timedelta(hours=23):
                continue
            role = Role.APPROVER_L1 if request.state == State.PENDING_L1 else Role.APPROVER_L2
            overdue = (now - request.due_at).days + 1
            request.reminded_at = now
            request.save(update_fields=["reminded_at"])
            notify(
                _approvers(request, role),
                request,
                f"催办：{request.no} {request.project.name} {request.get_kind_display()}已超期 {overdue} 天",
            )
            _event(None, request, "remind", overdue_days=overdue)
        sent += 1
    return sent
