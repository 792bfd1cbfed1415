"""Reads for the city's other systems (对接系统): the list, the recent messages, and the sandbox's examples.
Everything here is the city administrator's: every function checks that first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals.inbound.kinds import MESSAGE_KIND_LABELS, MessageKind
from smz.approvals.models import InboundMessage, InboundSystem
from smz.core.errors import Forbidden, NotFound
from smz.registry.models import Project

RECENT_MESSAGES = 50

# Sandbox endpoints: (key, path under /inbound/v1/, ninja url name, message kind).
ENDPOINTS: list[tuple[str, str, str, str]] = [
    ("permits", "/permits", "inbound:permits", MessageKind.PERMIT),
    ("quality-notices", "/quality-notices", "inbound:quality_notices", MessageKind.QUALITY_NOTICE),
    ("safety-reports", "/safety-reports", "inbound:safety_reports", MessageKind.SAFETY_REPORT),
]
ENDPOINT_FOR_KIND = {
    InboundSystem.Kind.PERMIT: "permits",
    InboundSystem.Kind.QUALITY: "quality-notices",
    InboundSystem.Kind.SAFETY: "safety-reports",
}


def may_manage_inbound(user: Any) -> bool:
    """Only the city administrator (or a superuser) docks the city's other systems."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.role == Role.CITY_ADMIN)
    )


def _require(user: Any) -> None:
    if not may_manage_inbound(user):
        raise Forbidden("仅市级管理员可管理对接系统")


def inbound_systems_for(user: Any) -> QuerySet[InboundSystem]:
    """Every system with its message count and last message time."""
    _require(user)
    return InboundSystem.objects.annotate(
        message_count=Count("messages"), last_message_at=Max("messages__received_at")
    ).order_by("kind", "code")


def inbound_system_get_for(user: Any, pk: int) -> InboundSystem:
    _require(user)
    system = InboundSystem.objects.filter(pk=pk).first()
    if system is None:
        raise NotFound("对接系统")
    return system


def inbound_messages_recent_for(user: Any, limit: int = RECENT_MESSAGES) -> list[InboundMessage]:
    """The latest messages, newest first, each with `summary` and `kind_label` set."""
    _require(user)
    rows = list(InboundMessage.objects.select_related("system").order_by("-received_at")[:limit])
    for row in rows:
        row.summary = message_summary(row)
        row.kind_label = MESSAGE_KIND_LABELS.get(row.kind, row.kind)
    return rows


def message_summary(message: InboundMessage) -> str:
    """A one-line zh-CN summary of a stored answer."""
    a = message.answer
    if message.kind == MessageKind.PERMIT:
        labels = {
            "effective": "生效",
            "awaiting_face": "待采集人脸",
            "unchanged": "未变",
            "rejected": "拒收",
        }
        counts: dict[str, int] = {}
        for item in a.get("key_posts", []):
            counts[item.get("status", "")] = counts.get(item.get("status", ""), 0) + 1
        posts = "，".join(f"{labels.get(k, k)} {n}" for k, n in counts.items())
        start = "，拟开工日期已变更" if a.get("planned_start_changed") else ""
        return f"许可证号 {a.get('permit_no', '')}{start}" + (f"；岗位：{posts}" if posts else "")
    if message.kind == MessageKind.QUALITY_NOTICE:
        return (
            f"告知书 {a.get('notice_no', '')}：项目经理自 {a.get('pm_attendance_stop_on', '')} "
            f"停止考勤；竣工日期 {a.get('completed_on', '')}"
        )
    if message.kind == MessageKind.SAFETY_REPORT:
        return (
            f"评定报告 {a.get('report_no', '')}：其他人员自 "
            f"{a.get('staff_attendance_stop_on', '')} 停止考勤"
        )
    return ""


def sandbox_example(endpoint: str, *, project_code: str = "") -> dict[str, Any]:
    """An example body for an endpoint, on a real project when one exists. The permit example restates the
    project's current permit, so sending it as is changes nothing; the notices take effect when sent."""
    project = (
        Project.objects.filter(code=project_code).first() if project_code else None
    ) or Project.objects.order_by("code").first()
    today = timezone.localdate()
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    code = project.code if project else "442000202500001"
    if endpoint == "permits":
        issued = project.permit_issued_on if project and project.permit_issued_on else today
        start = project.planned_start if project and project.planned_start else issued
        return {
            "message_id": f"SANDBOX-PERMIT-{stamp}",
            "project_code": code,
            "permit_no": (project.permit_no if project and project.permit_no else f"{code}0101"),
            "permit_issued_on": issued.isoformat(),
            "planned_start": start.isoformat(),
            "key_posts": [],
        }
    if endpoint == "quality-notices":
        return {
            "message_id": f"SANDBOX-QUALITY-{stamp}",
            "project_code": code,
            "notice_no": f"中建质监告〔{today.year}〕{stamp[-4:]}号",
            "issued_on": today.isoformat(),
            "completion_date": (today - dt.timedelta(days=1)).isoformat(),
        }
    return {
        "message_id": f"SANDBOX-SAFETY-{stamp}",
        "project_code": code,
        "report_no": f"中建安评〔{today.year}〕{stamp[-4:]}号",
        "issued_on": today.isoformat(),
    }


def sandbox_projects_for(user: Any, limit: int = 200) -> list[Project]:
    """Projects offered for the sandbox's examples."""
    _require(user)
    return list(Project.objects.order_by("code").only("pk", "code", "name")[:limit])
