"""The workflows on the approval engine (notice 三(八)–(十二)): what each kind of request needs, the rules
checked when it is made, submitted and approved (WF1 permit rule, WF2/WF3 pause state, WF5 docking), and what
an approval changes on the project (via smz.registry.project_changes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from smz.approvals.errors import ApprovalsErrorCode
from smz.approvals.models import (
    ApprovalRequest,
    AttachmentKind,
    InboundSystem,
    RequestKind,
    State,
)
from smz.approvals.permit import PermitLife, permit_life, start_date_check
from smz.core.errors import DomainError
from smz.registry import project_changes
from smz.registry.models import Project, ProjectPause

REQUIRED_ATTACHMENTS: dict[str, tuple[str, ...]] = {
    RequestKind.START_CHANGE: (AttachmentKind.FORM_SCAN, AttachmentKind.PHOTO_SHEET_SCAN),
    RequestKind.SUSPENSION: (AttachmentKind.FORM_SCAN, AttachmentKind.PHOTO_SHEET_SCAN),
    RequestKind.RESUMPTION: (AttachmentKind.FORM_SCAN,),
    RequestKind.ATTENDANCE_STOP: (AttachmentKind.SAFETY_REPORT,),
}
# What the applicant's date means, per kind.
DATE_LABELS = {
    RequestKind.START_CHANGE: "变更后开工日期",
    RequestKind.SUSPENSION: "停工起始日期",
    RequestKind.RESUMPTION: "复工日期",
    RequestKind.ATTENDANCE_STOP: "停止考勤日期",
}


def safety_center_docked(today: dt.date | None = None) -> bool:
    """WF5: once the safety center's system is docked its report ends attendance; no manual requests."""
    today = today or timezone.localdate()
    return InboundSystem.objects.filter(
        kind=InboundSystem.Kind.SAFETY, docked_on__lte=today, retired_at__isnull=True
    ).exists()


def extensions_used(project: Project) -> int:
    return sum(
        1
        for facts in ApprovalRequest.objects.filter(
            project=project, kind=RequestKind.START_CHANGE, state=State.APPROVED
        ).values_list("facts", flat=True)
        if facts.get("extension")
    )


def project_permit_life(project: Project, today: dt.date | None = None) -> PermitLife | None:
    if project.permit_issued_on is None:
        return None
    today = today or timezone.localdate()
    return permit_life(
        issued_on=project.permit_issued_on,
        extensions_used=extensions_used(project),
        started=project.actual_start is not None and project.actual_start <= today,
        today=today,
    )


def _date_required(kind: str, value: dt.date | None) -> dt.date:
    if value is None:
        raise DomainError(
            ApprovalsErrorCode.DATE_REQUIRED,
            f"请填写{DATE_LABELS[kind]}",
            {"fields": {"requested_date": "必填"}},
        )
    return value


def _not_past(kind: str, value: dt.date, today: dt.date) -> None:
    if value < today:
        raise DomainError(
            ApprovalsErrorCode.DATE_PAST,
            f"{DATE_LABELS[kind]}不能早于今天：审批通过前现场人员须照常考勤",
            {"fields": {"requested_date": "不能早于今天"}},
        )


def workflow_check(
    *, project: Project, kind: str, requested_date: dt.date | None, today: dt.date | None = None
) -> dict[str, Any]:
    """The rules of one workflow, checked when a request is made, submitted and approved. Returns the
    facts to keep with the request."""
    today = today or timezone.localdate()
    if kind == RequestKind.START_CHANGE:
        new_start = _date_required(kind, requested_date)
        if new_start == project.planned_start:
            raise DomainError(
                ApprovalsErrorCode.SAME_START,
                "申请的开工日期与现拟开工日期相同",
                {"fields": {"requested_date": "与原日期相同"}},
            )
        life = project_permit_life(project, today)
        if life is None:
            raise DomainError(
                ApprovalsErrorCode.PERMIT_MISSING, "项目未登记施工许可发证日期，不能变更开工日期"
            )
        extension = start_date_check(life, new_start)
        return {
            "old_start": project.planned_start.isoformat() if project.planned_start else None,
            "valid_until": life.valid_until.isoformat(),
            "extensions_used": life.extensions_used,
            "extension": extension,
        }
    if kind == RequestKind.SUSPENSION:
        if project.status in {Project.Status.COMPLETED, Project.Status.CLOSED}:
            raise DomainError(ApprovalsErrorCode.PROJECT_COMPLETED, "项目已竣工，不能申请停工")
        if ProjectPause.objects.filter(project=project, end_on__isnull=True).exists():
            raise DomainError(ApprovalsErrorCode.ALREADY_PAUSED, "项目已处于停工状态")
        _not_past(kind, _date_required(kind, requested_date), today)
        return {}
    if kind == RequestKind.RESUMPTION:
        pause = ProjectPause.objects.filter(project=project, end_on__isnull=True).first()
        if pause is None:
            raise DomainError(ApprovalsErrorCode.NOT_PAUSED, "项目未处于停工状态，无需申请复工")
        _not_past(kind, _date_required(kind, requested_date), today)
        return {"pause_start": pause.start_on.isoformat(), "suspension_ref": pause.suspension_ref}
    if kind == RequestKind.ATTENDANCE_STOP:
        if safety_center_docked(today):
            raise DomainError(
                ApprovalsErrorCode.SAFETY_DOCKED,
                "市建设工程安全事务中心系统已完成对接：停止考勤以其出具的安全生产标准化评定报告自动办理，"
                "无需提交申请",
            )
        if project.staff_attendance_stop_on is not None:
            raise DomainError(ApprovalsErrorCode.ALREADY_STOPPED, "项目劳务及管理人员考勤已停止")
        if requested_date is not None:
            _not_past(kind, requested_date, today)
        return {}
    raise DomainError(ApprovalsErrorCode.KIND, "不支持的申请类型", {"fields": {"kind": "无效"}})


def approval_apply(actor: Any, request: ApprovalRequest) -> tuple[dt.date, str]:
    """The approved request changes the project (notice: 经审批后…系统自动调整); returns (effective day, what changed)."""
    today = timezone.localdate()
    project = request.project
    if request.kind == RequestKind.START_CHANGE:
        project_changes.project_start_change(
            actor=actor, project=project, new_start=request.requested_date, basis=request.no
        )
        return today, f"拟开工日期调整为 {request.requested_date:%Y-%m-%d}"
    if request.kind == RequestKind.SUSPENSION:
        start = max(request.requested_date, today)
        project_changes.project_pause(actor=actor, project=project, start_on=start, ref=request.no)
        return start, f"自 {start:%Y-%m-%d} 起停工，考勤义务暂停"
    if request.kind == RequestKind.RESUMPTION:
        # Attendance restarts after approval: the day after it at the earliest (notice 三(十)).
        resume = max(request.requested_date, today + dt.timedelta(days=1))
        project_changes.project_resume(
            actor=actor, project=project, resume_on=resume, ref=request.no
        )
        return resume, f"自 {resume:%Y-%m-%d} 起复工，恢复考勤"
    if request.kind == RequestKind.ATTENDANCE_STOP:
        stop = max(request.requested_date or today, today)
        project_changes.project_attendance_stop(
            actor=actor, project=project, group="staff", stop_on=stop, basis=request.no
        )
        return (
            stop,
            f"自 {stop:%Y-%m-%d} 起劳务及其他管理人员停止考勤（项目经理以质量监督任务完成告知书为准）",
        )
    raise ValueError(request.kind)
