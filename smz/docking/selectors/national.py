"""Reads in the national field names and code tables (附件8): what the gateway's query methods answer.

Every read is scoped through the app's service account (registry.scoping), so an app sees only its projects."""

from __future__ import annotations

from typing import Any

from smz.docking.models import DockingApp, DockingRequest
from smz.registry.models import Participant, Project
from smz.registry.scoping import projects_for

# 工程类别 and 项目状态 of the national data standard (附件8 §代码表).
PROJECT_CATEGORY: dict[str, str] = {Project.Kind.BUILDING: "01", Project.Kind.MUNICIPAL: "02"}
PROJECT_STATUS: dict[str, str] = {
    Project.Status.PENDING: "002",  # 立项
    Project.Status.ACTIVE: "003",  # 在建
    Project.Status.SUSPENDED: "005",  # 停工
    Project.Status.COMPLETED: "004",  # 完工
    Project.Status.CLOSED: "004",
}


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def project_rows(
    actor: Any, *, code: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    qs = projects_for(actor).select_related("jurisdiction", "builder").order_by("code")
    if code:
        qs = qs.filter(code=code)
    total = qs.count()
    projects = list(qs[offset : offset + limit])
    gcs = {
        p.project_id: p.enterprise
        for p in Participant.objects.filter(
            project__in=projects, corp_type=Participant.GC
        ).select_related("enterprise")
    }
    rows = []
    for p in projects:
        gc = gcs.get(p.pk)
        rows.append(
            {
                "projectCode": p.code,
                "name": p.name,
                "category": PROJECT_CATEGORY.get(p.kind, ""),
                "areaCode": p.jurisdiction.code,
                "address": p.address,
                "prjStatus": PROJECT_STATUS.get(p.status, ""),
                "contractorCorpCode": gc.corp_code if gc else "",
                "contractorCorpName": gc.name if gc else "",
                "buildCorpCode": p.builder.corp_code,
                "buildCorpName": p.builder.name,
                "builderLicenses": (
                    [{"prjName": p.name, "builderLicenseNum": p.permit_no}] if p.permit_no else []
                ),
                "startDate": _date(p.actual_start or p.planned_start),
                "completeDate": _date(p.completed_on),
            }
        )
    return total, rows


def request_of_app(app: DockingApp, serial: str) -> DockingRequest | None:
    return DockingRequest.objects.filter(app=app, serial=serial).first()


def request_by_key(app: DockingApp, key: str) -> DockingRequest | None:
    """The app's request stored under an Idempotency-Key (REST docking)."""
    return DockingRequest.objects.filter(app=app, idempotency_key=key).first()
