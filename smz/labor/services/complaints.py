"""维权投诉 (issue 6 item 8): a worker files, the authority of the project's area handles and replies, the
worker follows the status on his page. Routed like the workflows (urban districts → the safety affairs
center; towns → their housing department)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.numbering import dated_no, temporary_no
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import Complaint
from smz.labor.selectors import OPEN, may_handle
from smz.labor.services import yuan_to_fen
from smz.notifications.services import notify_plain
from smz.registry.models import Project
from smz.registry.selectors import approving_authority


def complaint_file(
    *, actor: Any, project: Project, category: str, text: str, amount_yuan: str = ""
) -> Complaint:
    """A worker's complaint about a project he works or worked on."""
    if not (actor.is_authenticated and actor.role == Role.WORKER and actor.worker_id):
        raise Forbidden("请使用工人账号（手机号验证码）登录后投诉")
    if not project.employments.filter(worker=actor.worker_id).exists():
        raise Forbidden("只能就本人参与的项目投诉")
    errors = {}
    if category not in Complaint.Category.values:
        errors["category"] = "请选择投诉类型"
    if len(text.strip()) < 5:
        errors["text"] = "请写明情况（至少5个字）"
    amount = yuan_to_fen(amount_yuan) if amount_yuan.strip() else 0
    if amount is None:
        errors["amount_yuan"] = "金额格式不正确"
    if errors or amount is None:
        raise field_errors(errors)
    authority = approving_authority(project)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            no=temporary_no(),
            worker_id=actor.worker_id,
            project=project,
            authority=authority,
            category=category,
            text=text.strip()[:2000],
            amount_fen=amount,
        )
        dated_no(complaint, "TS")
        event_record(
            actor=actor,
            kind=LaborEventKind.COMPLAINT_FILED,
            subject=complaint,
            data={"project": project.pk, "category": category},
        )
        handlers = list(
            User.objects.filter(
                authority=authority,
                role__in=[Role.APPROVER_L1, Role.APPROVER_L2],
                is_active=True,
            )
        )
        notify_plain(
            handlers,
            f"工人投诉 {complaint.no}：{project.name} {complaint.get_category_display()}",
            "",
            "/labor/complaints/",
        )
    return complaint


def complaint_handle(*, actor: Any, complaint: Complaint, status: str, reply: str) -> Complaint:
    """Accept, resolve or reject, with a reply the worker reads; a closed complaint stays closed."""
    if not may_handle(actor, complaint):
        raise Forbidden("该投诉不由您所在部门处理")
    if status not in {
        Complaint.Status.ACCEPTED,
        Complaint.Status.RESOLVED,
        Complaint.Status.REJECTED,
    }:
        raise field_errors({"status": "请选择处理结果"})
    if status in {Complaint.Status.RESOLVED, Complaint.Status.REJECTED} and not reply.strip():
        raise field_errors({"reply": "办结或不予受理须填写处理意见"})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.status not in OPEN:
            raise DomainError(LaborErrorCode.COMPLAINT_CLOSED, "投诉已办结", status=409)
        complaint.status = status
        complaint.reply = reply.strip()[:2000]
        complaint.handled_by = actor
        complaint.handled_at = timezone.now()
        complaint.save()
        event_record(actor=actor, kind=LaborEventKind(f"complaint.{status}"), subject=complaint)
        worker_user = User.objects.filter(worker=complaint.worker_id).first()
        if worker_user:
            notify_plain(
                [worker_user],
                f"您的投诉 {complaint.no} {complaint.get_status_display()}",
                complaint.reply,
                "/me/complaints/",
            )
    return complaint
