"""Reads for the approval engine, scoped through smz.registry.scoping: who sees which requests, queues, timelines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals.models import (
    ApprovalRequest,
    Attachment,
    AttachmentKind,
    RequestKind,
    State,
)
from smz.approvals.rules import ACTION_LABELS
from smz.core.errors import NotFound
from smz.core.models import Event
from smz.registry import scoping
from smz.registry.codes import code_name
from smz.registry.events import RegistryEventKind
from smz.registry.models import (
    FaceEnrollment,
    KeyPostChange,
    Participant,
    Project,
    ProjectPause,
    Worker,
)
from smz.registry.selectors import approving_authority

WINDOW_ROLES = frozenset({Role.WINDOW_CLERK, Role.CITY_ADMIN})


def may_record_permit_change(user: Any, project: Project) -> bool:
    """The city administrator, or an approver of the authority the project is routed to."""
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    return (
        user.role in {Role.APPROVER_L1, Role.APPROVER_L2}
        and user.authority_id == approving_authority(project).pk
    )


def may_enroll(user: Any) -> bool:
    """The bureau's window (and the city administrator) takes faces (WF4)."""
    return user.is_authenticated and (user.is_superuser or user.role in WINDOW_ROLES)


def participant_names(project: Project) -> dict[str, str]:
    """The project's participating enterprises' names by participation type (施工总承包, 建设单位 ...)."""
    return {
        p.corp_type: p.enterprise.name
        for p in Participant.objects.filter(project=project).select_related("enterprise")
    }


def requests_for(user: Any) -> QuerySet[ApprovalRequest]:
    """Requests the user may see: the authority they are routed to (city-wide sections: all), or the
    projects an enterprise user sees. Workers and outsiders: none."""
    qs = ApprovalRequest.objects.select_related("project", "authority", "applicant", "enterprise")
    if not (
        scoping.is_authority(user) or scoping.is_enterprise_user(user) or scoping.is_builder(user)
    ):
        return qs.none()
    qs = qs.filter(project__in=scoping.projects_for(user).values("pk"))
    if scoping.is_authority(user) and not user.is_superuser and not user.authority.city_wide:
        qs = qs.filter(authority=user.authority_id)
    return qs


def request_get_for(user: Any, pk: int) -> ApprovalRequest:
    request = requests_for(user).filter(pk=pk).first()
    if request is None:
        raise NotFound("申请")
    return request


def request_list_for(
    user: Any,
    *,
    state: str = "",
    kind: str = "",
    q: str = "",
    overdue: bool = False,
    project: int | None = None,
) -> QuerySet[ApprovalRequest]:
    qs = requests_for(user)
    if state == "open":
        qs = qs.filter(state__in=[State.PENDING_L1, State.PENDING_L2, State.RETURNED, State.DRAFT])
    elif state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(no__icontains=q) | Q(project__name__icontains=q) | Q(project__code=q))
    if overdue:
        qs = qs.filter(due_at__lt=timezone.now(), state__in=[State.PENDING_L1, State.PENDING_L2])
    if project:
        qs = qs.filter(project=project)
    return qs.order_by("-created_at")


def queue_for(
    user: Any, *, kind: str = "", q: str = "", overdue: bool = False
) -> QuerySet[ApprovalRequest]:
    """What waits for this approver: level 1 sees pending_l1, level 2 pending_l2 (minus what they
    forwarded themselves), oldest first."""
    qs = requests_for(user)
    if user.role == Role.APPROVER_L1:
        qs = qs.filter(state=State.PENDING_L1, authority=user.authority_id)
    elif user.role == Role.APPROVER_L2:
        qs = qs.filter(state=State.PENDING_L2, authority=user.authority_id).exclude(level1_by=user)
    else:
        return qs.none()
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(no__icontains=q) | Q(project__name__icontains=q))
    if overdue:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs.order_by("waiting_since")


def approval_counts_for(user: Any) -> dict[str, int | None]:
    """Home page: an approver's queue (and how much of it is overdue), or the open requests others see."""
    now = timezone.now()
    if user.role in {Role.APPROVER_L1, Role.APPROVER_L2}:
        queue = queue_for(user)
        return {
            "queue": queue.count(),
            "open": None,
            "overdue": queue.filter(due_at__lt=now).count(),
        }
    open_ = requests_for(user).filter(
        state__in=[State.DRAFT, State.PENDING_L1, State.PENDING_L2, State.RETURNED]
    )
    return {
        "queue": None,
        "open": open_.count(),
        "overdue": open_.filter(
            due_at__lt=now, state__in=[State.PENDING_L1, State.PENDING_L2]
        ).count(),
    }


def request_events(request: ApprovalRequest) -> list[dict[str, Any]]:
    """The request's history from the one event log, labelled for people."""
    rows = (
        Event.objects.filter(subject_type="approvals.approvalrequest", subject_id=request.pk)
        .select_related("actor")
        .order_by("at", "pk")
    )
    result = []
    for e in rows:
        action = e.kind.removeprefix("approval.")
        role = e.data.get("role", "")
        result.append(
            {
                "at": e.at,
                "actor": e.actor,
                "role": Role(role).label if role in Role.values else "系统",
                "action": ACTION_LABELS.get(action, action),
                "code": action,
                "note": e.data.get("note", "")
                or e.data.get("effect", "")
                or _attachment_note(e.data),
                "state": State(e.data["state"]).label
                if e.data.get("state") in State.values
                else "",
            }
        )
    return result


def _attachment_note(data: dict[str, Any]) -> str:
    kind = data.get("kind", "")
    if kind not in AttachmentKind.values:
        return "删除一份材料" if data.get("removed") else ""
    return AttachmentKind(kind).label


def attachments_of(request: ApprovalRequest, *, current_only: bool = True) -> QuerySet[Attachment]:
    qs = request.attachments.select_related("uploaded_by").order_by("kind", "uploaded_at")
    return qs.filter(superseded_at__isnull=True) if current_only else qs


def attachments_superseded(request: ApprovalRequest) -> QuerySet[Attachment]:
    """The request's replaced scans and photos (the detail page's history)."""
    return attachments_of(request, current_only=False).filter(superseded_at__isnull=False)


def site_photos_of(request: ApprovalRequest) -> QuerySet[Attachment]:
    """The request's current site photos (WF6's photo sheet)."""
    return attachments_of(request).filter(kind=AttachmentKind.SITE_PHOTO)


def attachment_get_for(user: Any, pk: int) -> Attachment:
    attachment = Attachment.objects.select_related("request").filter(pk=pk).first()
    if attachment is None or not requests_for(user).filter(pk=attachment.request_id).exists():
        raise NotFound("材料")
    return attachment


def waiting_days(request: ApprovalRequest, now: dt.datetime | None = None) -> int:
    if request.waiting_since is None:
        return 0
    return ((now or timezone.now()) - request.waiting_since).days


def project_timeline(project: Project) -> list[dict[str, Any]]:
    """停复工与考勤节点 on the project page: pauses, stops, start changes, completion, newest first."""
    items: list[dict[str, Any]] = []
    today = timezone.localdate()
    for pause in ProjectPause.objects.filter(project=project):
        if pause.start_on > today:
            text = f"将于 {pause.start_on:%Y-%m-%d} 起停工（已批准，尚未生效）"
        elif pause.end_on is None:
            text = f"{pause.start_on:%Y-%m-%d} 至今（停工中）"
        elif pause.end_on >= today:
            resume = pause.end_on + dt.timedelta(days=1)
            text = f"{pause.start_on:%Y-%m-%d} 至 {pause.end_on:%Y-%m-%d}（停工中，{resume:%Y-%m-%d} 复工）"
        else:
            text = f"{pause.start_on:%Y-%m-%d} 至 {pause.end_on:%Y-%m-%d}"
        items.append(
            {
                "day": pause.start_on,
                "label": "停工",
                "text": text,
                "ref": " / ".join(r for r in (pause.suspension_ref, pause.resumption_ref) if r),
            }
        )
    for e in Event.objects.filter(
        subject_type="registry.project",
        subject_id=project.pk,
        kind__in=[
            RegistryEventKind.PROJECT_START_CHANGED,
            RegistryEventKind.PROJECT_ATTENDANCE_STOPPED,
            RegistryEventKind.PROJECT_COMPLETED,
        ],
    ).order_by("at"):
        d = e.data
        if e.kind == RegistryEventKind.PROJECT_START_CHANGED:
            day, label, text = d["to"], "变更开工日期", f"{d.get('from') or '—'} → {d['to']}"
        elif e.kind == RegistryEventKind.PROJECT_ATTENDANCE_STOPPED:
            who = "项目经理" if d["group"] == "pm" else "劳务及其他管理人员"
            day, label, text = d["stop_on"], "停止考勤", f"{who}自 {d['stop_on']} 起停止考勤"
        else:
            day, label, text = d["completed_on"], "竣工", f"竣工日期 {d['completed_on']}"
        items.append(
            {
                "day": dt.date.fromisoformat(day),
                "label": label,
                "text": text,
                "ref": d.get("basis", ""),
            }
        )
    for change in KeyPostChange.objects.filter(key_post__project=project).select_related(
        "new_worker", "old_worker"
    ):
        items.append(
            {
                "day": change.effective_on or change.permit_approved_on,
                "label": "岗位人员变更",
                "text": f"{code_name('key_post', change.key_post.post)} "
                f"{change.old_worker or '—'} → {change.new_worker}"
                f"（{change.get_status_display()}）",
                "ref": change.permit_ref,
            }
        )
    return sorted(items, key=lambda i: i["day"], reverse=True)


def queue_summary_for(user: Any, *, limit: int = 8) -> dict[str, Any]:
    """An approver's work (审批工作台): what waits on him, how much is overdue, by kind, the oldest first.
    Three queries however long the queue."""
    queue = queue_for(user)
    now = timezone.now()
    by_kind = dict(queue.values("kind").annotate(n=Count("pk")).values_list("kind", "n").order_by())
    oldest = [
        {"r": r, "waiting": waiting_days(r, now), "overdue": bool(r.due_at and r.due_at < now)}
        for r in queue[:limit]
    ]
    return {
        "queue": sum(by_kind.values()),
        "overdue": queue.filter(due_at__lt=now).count(),
        "by_kind": [
            {"kind": k, "label": RequestKind(k).label, "n": by_kind[k]}
            for k in RequestKind.values
            if by_kind.get(k)
        ],
        "oldest": oldest,
    }


def enrollments_pending_for(user: Any) -> QuerySet[KeyPostChange]:
    """窗口人脸采集: permit changes naming a person whose face the window has yet to take, on projects the
    user may see, oldest first."""
    return (
        KeyPostChange.objects.filter(
            status=KeyPostChange.Status.AWAITING_FACE,
            key_post__project__in=scoping.projects_for(user).values("pk"),
        )
        .select_related("key_post__project", "new_worker", "old_worker")
        .order_by("created_at")
    )


def key_post_changes_of(user: Any, project: Project) -> QuerySet[KeyPostChange]:
    """施工许可人员变更 recorded on a project, through the user's scope (newest first)."""
    return KeyPostChange.objects.filter(
        key_post__project=project,
        key_post__project__in=scoping.projects_for(user).values("pk"),
    ).select_related("key_post", "new_worker", "old_worker")


def key_post_changes_naming(user: Any, worker: Worker) -> QuerySet[KeyPostChange]:
    """Permit changes that name a person as the new holder, on projects the user may see."""
    return KeyPostChange.objects.filter(
        new_worker=worker,
        key_post__project__in=scoping.projects_for(user).values("pk"),
    ).select_related("key_post", "key_post__project")


def face_enrollments_for(user: Any, *, worker: Worker | None = None) -> QuerySet[FaceEnrollment]:
    """Face enrollments of the people the user may see (newest first), of one person if given."""
    qs = FaceEnrollment.objects.filter(worker__in=scoping.workers_for(user).values("pk"))
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs.select_related("worker", "enrolled_by")
