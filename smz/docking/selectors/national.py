"""Reads in the national field names and code tables (附件8): what the gateway's query methods answer.

Every read is scoped through the app's service account (registry.scoping), so an app sees only its projects."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from smz.attendance.models import PassRecord
from smz.devices.models import Device
from smz.docking.models import DockingApp, DockingRequest
from smz.docking.protocol import SHANGHAI
from smz.labor.models import LaborContract, Payroll, PayrollLine, SafetyTraining
from smz.labor.selectors import exit_of
from smz.labor.selectors.scopes import contracts_for, payrolls_for
from smz.registry.identity import id_number_index
from smz.registry.models import Employment, Enterprise, Participant, Project, Team, Worker
from smz.registry.scoping import (
    attendance_scope,
    employments_for,
    projects_for,
    teams_for,
    workers_for,
)
from smz.registry.selectors import worker_find_by_id_number

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


# ---- labor methods: contracts, entry/exit, attendance, payroll, training (附件8) ---------------------------
# The records the labor methods look up and the rows their Query methods answer. The project is already
# the app's (the gateway resolved it through registry.scoping); rows are read through the labor scopes too.


def enterprise_on_project(project: Project, corp_code: str) -> Any:
    """The participant enterprise of a project with this 统一社会信用代码, or None (参建单位 not uploaded)."""
    participant = (
        Participant.objects.filter(project=project, enterprise__corp_code=corp_code)
        .select_related("enterprise")
        .first()
    )
    return participant.enterprise if participant else None


def team_on_project(project: Project, team_sys_no: int) -> Any:
    """A team of the project by its teamSysNo (Team.pk), or None."""
    return Team.objects.filter(project=project, pk=team_sys_no).first()


def worker_by_document(id_card_type: str, id_number: str) -> Any:
    """The person with this document (keyed hash lookup), or None."""
    return worker_find_by_id_number(id_card_type=id_card_type, id_number=id_number)


def employments_on_project(project: Project, worker: Any) -> list[Any]:
    """A person's employments on the project, oldest first (re-entries after an exit are new employments)."""
    return list(
        Employment.objects.filter(project=project, worker=worker)
        .select_related("employer", "team", "project", "worker")
        .order_by("entry_on", "pk")
    )


def docking_device_of(project: Project, serial: str) -> Any:
    return Device.objects.filter(project=project, serial=serial).first()


def active_contract_of(employment: Any) -> Any:
    return LaborContract.objects.filter(
        employment=employment, status=LaborContract.Status.ACTIVE
    ).first()


def exit_settlement_of(employment: Any) -> Any:
    return exit_of(employment)


def training_exists(project: Project, worker: Any, day: Any, course: str) -> bool:
    return SafetyTraining.objects.filter(
        project=project, worker=worker, trained_on=day, course=course
    ).exists()


def regular_payroll_of(project: Project, employer: Any, team: Any, month: Any) -> Any:
    """The month's regular sheet (not a correction) of an employer's team, with its lines, or None."""
    return (
        Payroll.objects.filter(
            project=project, employer=employer, team=team, month=month, corrects__isnull=True
        )
        .prefetch_related("lines")
        .first()
    )


def _page(qs: Any, offset: int, limit: int) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[offset : offset + limit])


ID_DIRECTION = {"in": "01", "out": "02"}  # 考勤方向 01 入场 / 02 出场
PERIOD_TYPE = {"fixed": "0", "task": "1"}  # 合同期限类型
PAY_STATUS = {"unpaid": 0, "sent": 0, "paid": 20, "failed": 30}  # 发放状态 (national PayStatus)
UNIT_CODE = {"米": "80", "平方米": "81", "立方米": "82"}  # 计量单位 (labor stores the code itself)


def _yuan(fen: int) -> float:
    """Fen → the national yuan number (2 decimals; a float only at the JSON edge, exact to the fen)."""
    return float(f"{fen / 100:.2f}")


def contract_rows(
    actor: Any, project: Project, *, corp_code: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    qs = (
        contracts_for(actor)
        .filter(employment__project=project)
        .select_related("employment__employer", "employment__worker")
        .order_by("employment__worker__name", "pk")
    )
    if corp_code:
        qs = qs.filter(employment__employer__corp_code=corp_code)
    total, contracts = _page(qs, offset, limit)
    return total, [
        {
            "corpCode": c.employment.employer.corp_code,
            "corpName": c.employment.employer.name,
            "workerName": c.employment.worker.name,
            "idCardType": c.employment.worker.id_card_type,
            "idCardNumber": c.employment.worker.id_number,
            "contractCode": c.no,
            "contractPeriodType": int(PERIOD_TYPE[c.period_type]),
            "startDate": _date(c.start_on),
            "endDate": _date(c.end_on),
            "unit": int(c.piece_unit) if c.piece_unit.isdigit() else None,
            "unitPrice": _yuan(c.rate_fen),
            "wageKind": c.wage_kind,
            "status": c.status,
        }
        for c in contracts
    ]


def entry_exit_rows(
    actor: Any, project: Project, *, team_sys_no: int | None, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """进退场 history: one row per entry and one per exit of each employment, newest first."""
    qs = (
        employments_for(actor)
        .filter(project=project)
        .select_related("employer", "worker", "team")
        .order_by("-entry_on", "-pk")
    )
    if team_sys_no is not None:
        qs = qs.filter(team=team_sys_no)
    events: list[dict[str, Any]] = []
    for e in qs:
        base = {
            "corpCode": e.employer.corp_code,
            "corpName": e.employer.name,
            "teamSysNo": e.team_id,
            "workerName": e.worker.name,
            "idCardType": e.worker.id_card_type,
            "idCardNumber": e.worker.id_number,
        }
        if e.exit_on:
            events.append(base | {"date": _date(e.exit_on), "type": 0})
        events.append(base | {"date": _date(e.entry_on), "type": 1})
    events.sort(key=lambda r: (r["date"], r["type"]), reverse=True)
    return len(events), events[offset : offset + limit]


def attendance_rows(
    actor: Any, project: Project, *, day: Any, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """One day's passes on the project (every device, docked or on site), in time order."""

    qs = (
        attendance_scope(actor, PassRecord.objects.filter(project=project, work_date=day))
        .select_related("worker", "device")
        .order_by("event_time", "pk")
    )
    total, passes = _page(qs, offset, limit)
    teams = dict(employments_on_project_teams(project, {p.worker_id for p in passes}).items())
    return total, [
        {
            "teamSysNo": teams.get(p.worker_id),
            "workerName": p.worker.name,
            "idCardType": p.worker.id_card_type,
            "idCardNumber": p.worker.id_number,
            "date": p.event_time.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "direction": ID_DIRECTION.get(p.direction, ""),
            "attendType": p.verify_mode,
            "channel": p.device.entrance.name
            if p.device.entrance_id
            else p.device.get_kind_display(),
            "valid": p.valid,
            "lng": float(p.lng) if p.lng is not None else None,
            "lat": float(p.lat) if p.lat is not None else None,
        }
        for p in passes
    ]


def employments_on_project_teams(project: Project, worker_ids: set[int]) -> dict[int, int | None]:
    teams: dict[int, int | None] = {}
    for worker_id, team_id in (
        Employment.objects.filter(project=project, worker__in=worker_ids)
        .order_by("entry_on", "pk")
        .values_list("worker_id", "team_id")
    ):
        teams[worker_id] = team_id
    return teams


def payroll_rows(
    actor: Any,
    project: Project,
    *,
    month: Any,
    corp_code: str,
    team_sys_no: int | None,
    offset: int,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """The project's payroll sheets (drafts included, with their state) and their lines."""
    qs = (
        payrolls_for(actor)
        .filter(project=project)
        .select_related("employer", "team")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PayrollLine.objects.select_related("worker").order_by(
                    "worker__name", "pk"
                ),
            )
        )
        .order_by("-month", "pk")
    )
    if month is not None:
        qs = qs.filter(month=month)
    if corp_code:
        qs = qs.filter(employer__corp_code=corp_code)
    if team_sys_no is not None:
        qs = qs.filter(team=team_sys_no)
    total, payrolls = _page(qs, offset, limit)
    rows = []
    for p in payrolls:
        details = [
            {
                "workerName": line.worker.name,
                "idCardType": line.worker.id_card_type,
                "idCardNumber": line.worker.id_number,
                "days": line.days_paid,
                "workHours": float(line.hours_paid),
                "payRollBankCardNumber": line.worker.bank_card,
                "payRollBankCode": line.worker.bank_code,
                "payRollBankName": line.worker.bank_name,
                "totalPayAmount": _yuan(line.gross_fen),
                "actualAmount": _yuan(line.net_fen),
                "isBackPay": 1 if p.corrects_id else 0,
                "balanceDate": _date(line.paid_on),
                "payStatus": PAY_STATUS.get(line.pay_status, 0),
                "confirmed": bool(line.confirmed_at),
            }
            for line in p.lines.all()
        ]
        rows.append(
            {
                "payRollCode": p.no,
                "corpCode": p.employer.corp_code,
                "corpName": p.employer.name,
                "teamSysNo": p.team_id,
                "payMonth": p.month.strftime("%Y-%m"),
                "state": p.state,
                "stateName": p.get_state_display(),
                "detailList": details,
            }
        )
    return total, rows


def training_rows(
    actor: Any, project: Project, *, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """Trainings recorded on the project, one row per date and course, with the trainees."""

    qs = (
        SafetyTraining.objects.filter(project=project, worker__in=workers_for(actor).values("pk"))
        .select_related("worker")
        .order_by("-trained_on", "course", "worker__name", "pk")
    )
    sessions: dict[tuple[Any, str, Any], dict[str, Any]] = {}
    for t in qs:
        key = (t.trained_on, t.course, t.hours)
        row = sessions.setdefault(
            key,
            {
                "trainingDate": _date(t.trained_on),
                "trainingName": t.course,
                "trainingDuration": float(t.hours),
                "workerList": [],
            },
        )
        row["workerList"].append(
            {
                "workerName": t.worker.name,
                "idCardType": t.worker.id_card_type,
                "idCardNumber": t.worker.id_number,
            }
        )
    rows = list(sessions.values())
    return len(rows), rows[offset : offset + limit]


def people_on_project(
    project: Project, documents: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, set[int | None]]]:
    """(idCardType, idCardNumber) → (worker id, the teams of his employments on the project) for the people on
    it, in two queries whatever the batch size (WorkerAttendance.Add's 500 records)."""
    index = {(t, id_number_index(t, n)): (t, n) for t, n in documents}
    found: dict[int, tuple[str, str]] = {}
    for pk, id_type, digest in Worker.objects.filter(
        id_number_index__in={d for _, d in index}
    ).values_list("pk", "id_card_type", "id_number_index"):
        if (id_type, digest) in index:
            found[pk] = index[(id_type, digest)]
    teams: dict[int, set[int | None]] = {}
    for worker_id, team_id in Employment.objects.filter(
        project=project, worker__in=found
    ).values_list("worker_id", "team_id"):
        teams.setdefault(worker_id, set()).add(team_id)
    return {found[w]: (w, t) for w, t in teams.items()}


def request_by_key(app: DockingApp, key: str) -> DockingRequest | None:
    """The app's request stored under an Idempotency-Key (REST docking)."""
    return DockingRequest.objects.filter(app=app, idempotency_key=key).first()
