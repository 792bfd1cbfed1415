"""Reads in the national field names and code tables (附件8): what the gateway's query methods answer.

Every read is scoped through the app's service account (registry.scoping), so an app sees only its projects."""

from __future__ import annotations

from typing import Any

from smz.docking.models import DockingApp, DockingRequest
from smz.registry.identity import id_number_index
from smz.registry.models import Employment, Enterprise, Participant, Project, Team, Worker
from smz.registry.scoping import employments_for, projects_for, teams_for

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


# ---- 参建单位, 班组, 项目人员 (ProjectSubContractor / Team / ProjectWorker) -------------------------------------


def enterprise_of_code(corp_code: str) -> Enterprise | None:
    return Enterprise.objects.filter(corp_code=corp_code.strip().upper()).first()


def participations(project: Project, enterprise: Enterprise | None) -> list[Participant]:
    """The enterprise's roles on the project (the order rule: a corp is a participant before its teams)."""
    if enterprise is None:
        return []
    return list(
        Participant.objects.filter(project=project, enterprise=enterprise).order_by("corp_type")
    )


def participant_rows(
    actor: Any, project: Project, *, corp_code: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    qs = Participant.objects.filter(
        project__in=projects_for(actor).filter(pk=project.pk)
    ).select_related("enterprise")
    if corp_code:
        qs = qs.filter(enterprise__corp_code=corp_code.strip().upper())
    qs = qs.order_by("corp_type", "enterprise__corp_code")
    total = qs.count()
    rows = [
        {
            "projectCode": project.code,
            "corpCode": p.enterprise.corp_code,
            "corpName": p.enterprise.name,
            "corpType": p.corp_type,
            "entryTime": _date(p.entry_on),
            "exitTime": _date(p.exit_on),
            "pmName": p.pm_name,
            "pmPhone": p.pm_phone,
        }
        for p in qs[offset : offset + limit]
    ]
    return total, rows


def team_of_project(actor: Any, project: Project, team_sys_no: int) -> Team | None:
    """The team with this teamSysNo, only when it is on this project and in the app's scope."""
    return (
        teams_for(actor)
        .filter(project=project, pk=team_sys_no)
        .select_related("enterprise", "project")
        .first()
    )


def team_named(project: Project, enterprise: Enterprise, name: str) -> Team | None:
    return Team.objects.filter(project=project, enterprise=enterprise, name=name.strip()).first()


def team_rows(
    actor: Any,
    project: Project,
    *,
    team_sys_no: int | None,
    corp_code: str,
    offset: int,
    limit: int,
) -> tuple[int, list[tuple[dict[str, Any], Worker | None]]]:
    """Rows without the leader's ID number, each with the leader (the caller reveals it, audited)."""
    qs = teams_for(actor).filter(project=project).select_related("enterprise", "leader")
    if team_sys_no is not None:
        qs = qs.filter(pk=team_sys_no)
    if corp_code:
        qs = qs.filter(enterprise__corp_code=corp_code.strip().upper())
    qs = qs.order_by("pk")
    total = qs.count()
    rows = []
    for t in qs[offset : offset + limit]:
        leader = t.leader
        rows.append(
            (
                {
                    "projectCode": project.code,
                    "teamSysNo": t.pk,
                    "teamName": t.name,
                    "corpCode": t.enterprise.corp_code,
                    "corpName": t.enterprise.name,
                    "teamLeaderName": leader.name if leader else "",
                    "teamLeaderIdcardType": leader.id_card_type if leader else "",
                    "teamLeaderIdNumber": "",
                    "responsiblePersonName": t.responsible_name,
                    "responsiblePersonPhone": t.responsible_phone,
                    "remark": t.remark,
                    "entryTime": _date(t.entry_on),
                    "exitTime": _date(t.exit_on),
                },
                leader,
            )
        )
    return total, rows


def employment_on_project(
    actor: Any, project: Project, id_card_type: str, id_number: str
) -> Employment | None:
    """The person's active employment on the project, when the app may see it."""
    return (
        employments_for(actor)
        .filter(
            project=project,
            status=Employment.Status.ACTIVE,
            worker__id_card_type=id_card_type,
            worker__id_number_index=id_number_index(id_card_type, id_number),
        )
        .select_related("worker", "team", "employer", "project")
        .first()
    )


def active_employment(project: Project, id_card_type: str, id_number: str) -> Employment | None:
    """The person's active employment on the project, whoever employs him (one per project at most)."""
    return (
        Employment.objects.filter(
            project=project,
            status=Employment.Status.ACTIVE,
            worker__id_card_type=id_card_type,
            worker__id_number_index=id_number_index(id_card_type, id_number),
        )
        .select_related("team", "employer")
        .first()
    )


def worker_rows(
    actor: Any,
    project: Project,
    *,
    team_sys_no: int | None,
    corp_code: str,
    id_card: tuple[str, str] | None,
    offset: int,
    limit: int,
) -> tuple[int, list[tuple[dict[str, Any], Worker]]]:
    """Rows without the ID number, each with its person (the caller reveals it, audited)."""
    qs = employments_for(actor).filter(project=project).select_related("worker", "team", "employer")
    if team_sys_no is not None:
        qs = qs.filter(team=team_sys_no)
    if corp_code:
        qs = qs.filter(employer__corp_code=corp_code.strip().upper())
    if id_card is not None:
        qs = qs.filter(
            worker__id_card_type=id_card[0],
            worker__id_number_index=id_number_index(*id_card),
        )
    qs = qs.order_by("pk")
    total = qs.count()
    rows: list[tuple[dict[str, Any], Worker]] = []
    for seq, e in enumerate(qs[offset : offset + limit], start=offset + 1):
        w = e.worker
        rows.append(
            (
                {
                    "seqNo": seq,
                    "projectCode": project.code,
                    "corpCode": e.employer.corp_code,
                    "corpName": e.employer.name,
                    "teamSysNo": e.team_id,
                    "teamName": e.team.name if e.team else "",
                    "workerName": w.name,
                    "isTeamLeader": 1 if e.is_team_leader else 0,
                    "idCardType": w.id_card_type,
                    "idCardNumber": "",
                    "workType": e.work_type,
                    "workRole": int(e.work_role),
                    "gender": w.gender,
                    "nation": w.nation,
                    "birthDate": _date(w.birth_date),
                    "grantOrg": w.grant_org,
                    "startDate": _date(w.id_valid_from),
                    "expiryDate": _date(w.id_valid_to),
                    "entryTime": _date(e.entry_on),
                    "exitTime": _date(e.exit_on),
                    "status": 1 if e.status == Employment.Status.ACTIVE else 0,
                },
                w,
            )
        )
    return total, rows
