"""Reads for the upward push (上报): the city administrator's access check, the page's counts and failures, which
projects a target covers, and the national payloads built from smz's records (field names of anchors §2b).

Payloads are built when a batch is sent, from the records as they are then, and never stored: they carry
personal numbers (protocol.envelope encrypts the sensitive ones on the wire)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from smz.attendance.models import PassRecord
from smz.core.errors import Forbidden, NotFound
from smz.core.roles import Role
from smz.docking.models import UpstreamTarget, UpstreamUpload
from smz.docking.protocol import SHANGHAI
from smz.labor.models import LaborContract, PayrollLine, SafetyTraining, WageAccount
from smz.registry.models import Employment, Participant, Project, Team

Kind = UpstreamUpload.Kind
State = UpstreamUpload.State

# The order rules (national platform): a kind is sent only after its prerequisites are done.
KIND_ORDER = (
    Kind.PARTICIPANT,
    Kind.TEAM,
    Kind.WORKER,
    Kind.CONTRACT,
    Kind.ENTRY_EXIT,
    Kind.ATTENDANCE,
    Kind.PAYROLL,
    Kind.TRAINING,
)
METHOD_OF = {
    Kind.PARTICIPANT: "ProjectSubContractor.Add",
    Kind.TEAM: "Team.Add",
    Kind.WORKER: "ProjectWorker.Add",
    Kind.CONTRACT: "WorkerContract.Add",
    Kind.ENTRY_EXIT: "WorkerEntryExit.Add",
    Kind.ATTENDANCE: "WorkerAttendance.Add",
    Kind.PAYROLL: "Payroll.Add",
    Kind.TRAINING: "ProjectTraining.Add",
}
# The dataList of each kind sent as a list (≤ 500 records a call); the others go one record a call.
LIST_FIELD = {
    Kind.WORKER: "workerList",
    Kind.CONTRACT: "contractList",
    Kind.ENTRY_EXIT: "workerList",
    Kind.ATTENDANCE: "dataList",
    Kind.PAYROLL: "detailList",
}
FAILURES_SHOWN = 200


def may_manage_upward(user: Any) -> bool:
    """Only the city administrator (or a superuser) configures the upward push."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.role == Role.CITY_ADMIN)
    )


def require_upward(user: Any) -> None:
    if not may_manage_upward(user):
        raise Forbidden("仅市级管理员可配置数据上报")


def upstream_targets_for(user: Any) -> list[UpstreamTarget]:
    """Every target, each with `counts` (state → number of records) and `project` loaded."""
    require_upward(user)
    targets = list(UpstreamTarget.objects.select_related("project").order_by("name", "pk"))
    rows = (
        UpstreamUpload.objects.filter(target__in=targets)
        .values("target_id", "state")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {t.pk: dict.fromkeys(State.values, 0) for t in targets}
    for row in rows:
        counts[row["target_id"]][row["state"]] = row["n"]
    for t in targets:
        t.counts = counts[t.pk]  # type: ignore[attr-defined]
    return targets


def upstream_target_get_for(user: Any, pk: int) -> UpstreamTarget:
    require_upward(user)
    target = UpstreamTarget.objects.select_related("project").filter(pk=pk).first()
    if target is None:
        raise NotFound("上报平台")
    return target


def upstream_failures_for(
    user: Any, target: UpstreamTarget, *, limit: int = FAILURES_SHOWN
) -> list[UpstreamUpload]:
    """The target's failed records, newest first, each with `label` (what it is, no personal number); a fixed
    number of queries whatever the number of rows (one per kind present)."""
    require_upward(user)
    rows = list(
        UpstreamUpload.objects.filter(target=target, state=State.FAILED)
        .select_related("project")
        .order_by("-updated_at", "-pk")[:limit]
    )
    labels = upload_labels(rows)
    for row in rows:
        row.label = labels.get(row.pk, "（已删除）")  # type: ignore[attr-defined]
    return rows


def upstream_waiting_count(target: UpstreamTarget) -> int:
    """Pending records whose prerequisite failed (they wait for it to be retried)."""
    return UpstreamUpload.objects.filter(
        target=target, state=State.PENDING, prerequisite__state=State.FAILED
    ).count()


def upload_labels(uploads: list[UpstreamUpload]) -> dict[int, str]:
    """A short Chinese description of each upload (upload pk → text): a name or one of smz's numbers, never a
    personal number."""
    ids: dict[str, list[int]] = {}
    for u in uploads:
        ids.setdefault(u.kind, []).append(u.object_id)
    out: dict[int, str] = {}
    side = {"in": " 进场", "out": " 退场"}
    found: dict[str, dict[int, str]] = {}
    if Kind.PARTICIPANT in ids:
        found[Kind.PARTICIPANT] = {
            p.pk: p.enterprise.name
            for p in Participant.objects.select_related("enterprise").filter(
                pk__in=ids[Kind.PARTICIPANT]
            )
        }
    if Kind.TEAM in ids:
        found[Kind.TEAM] = dict(
            Team.objects.filter(pk__in=ids[Kind.TEAM]).values_list("pk", "name")
        )
    people = ids.get(Kind.WORKER, []) + ids.get(Kind.ENTRY_EXIT, [])
    if people:
        names = dict(Employment.objects.filter(pk__in=people).values_list("pk", "worker__name"))
        found[Kind.WORKER] = found[Kind.ENTRY_EXIT] = names
    if Kind.CONTRACT in ids:
        found[Kind.CONTRACT] = {
            pk: f"合同 {no}"
            for pk, no in LaborContract.objects.filter(pk__in=ids[Kind.CONTRACT]).values_list(
                "pk", "no"
            )
        }
    if Kind.ATTENDANCE in ids:
        found[Kind.ATTENDANCE] = {
            r.pk: f"{r.worker.name} {r.event_time.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
            for r in PassRecord.objects.select_related("worker").filter(pk__in=ids[Kind.ATTENDANCE])
        }
    if Kind.PAYROLL in ids:
        found[Kind.PAYROLL] = {
            line.pk: f"工资表 {line.payroll.no} {line.worker.name}"
            for line in PayrollLine.objects.select_related("payroll", "worker").filter(
                pk__in=ids[Kind.PAYROLL]
            )
        }
    if Kind.TRAINING in ids:
        found[Kind.TRAINING] = {
            t.pk: f"{t.worker.name} {t.course}"
            for t in SafetyTraining.objects.select_related("worker").filter(
                pk__in=ids[Kind.TRAINING]
            )
        }
    for u in uploads:
        text = found.get(u.kind, {}).get(u.object_id)
        out[u.pk] = (text + side.get(u.part, "")) if text else "（已删除）"
    return out


def target_projects(target: UpstreamTarget) -> QuerySet[Project]:
    """The projects a target reports: its own project, or every in-scope project of the city."""
    if target.project_id is not None:
        return Project.objects.filter(pk=target.project_id)
    return Project.objects.filter(in_scope=True)


# ---- national payloads


@dataclass
class Batch:
    """One call's worth of uploads: the method, its data (plaintext), the uploads in dataList order."""

    kind: str
    method: str
    data: dict[str, Any]
    uploads: list[UpstreamUpload]


class NotSendable(Exception):
    """A record smz cannot express in the national format (said in Chinese, no personal number)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _yuan(fen: int) -> float:
    # The national format carries amounts as JSON numbers in yuan; computed from integer fen through Decimal.
    return float(Decimal(fen) / 100)


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != ""}


def _corp(enterprise: Any) -> dict[str, str]:
    return {"corpCode": enterprise.corp_code, "corpName": enterprise.name}


def participant_payload(p: Participant) -> dict[str, Any]:
    return _prune(
        {
            "projectCode": p.project.code,
            **_corp(p.enterprise),
            "corpType": p.corp_type,
            "entryTime": _day(p.entry_on),
            "exitTime": _day(p.exit_on),
            "pmName": p.pm_name,
            "pmPhone": p.pm_phone,
        }
    )


def team_payload(t: Team) -> dict[str, Any]:
    leader = t.leader
    return _prune(
        {
            "projectCode": t.project.code,
            **_corp(t.enterprise),
            "teamName": t.name,
            "teamLeaderName": leader.name if leader else None,
            "teamLeaderPhone": leader.phone if leader else None,
            "teamLeaderIdcardType": leader.id_card_type if leader else None,
            "teamLeaderIdNumber": leader.id_number if leader else None,
            "responsiblePersonName": t.responsible_name,
            "responsiblePersonPhone": t.responsible_phone,
            "entryTime": _day(t.entry_on),
            "exitTime": _day(t.exit_on),
            "remark": t.remark,
        }
    )


def worker_item(e: Employment) -> dict[str, Any]:
    w = e.worker
    return _prune(
        {
            "workerName": w.name,
            "isTeamLeader": 1 if e.is_team_leader else 0,
            "idCardType": w.id_card_type,
            "idCardNumber": w.id_number,
            "workType": e.work_type,
            "workRole": int(e.work_role),
            "gender": w.gender,
            "nation": w.nation,
            "birthDate": _day(w.birth_date),
            "address": w.address,
            "grantOrg": w.grant_org,
            "startDate": _day(w.id_valid_from),
            "expiryDate": _day(w.id_valid_to),
            "cellPhone": w.phone,
            "cultureLevelType": w.culture_level,
            "politicsType": w.politics_type,
            "payRollBankCardNumber": w.bank_card,
            "payRollTopBankCode": w.bank_code,
            "payRollBankName": w.bank_name,
            "workDate": _day(e.entry_on),
        }
    )


def _ident(worker: Any) -> dict[str, str]:
    return {"idCardType": worker.id_card_type, "idCardNumber": worker.id_number}


def contract_item(c: LaborContract) -> dict[str, Any]:
    e = c.employment
    return _prune(
        {
            **_corp(e.employer),
            **_ident(e.worker),
            "contractPeriodType": 0 if c.period_type == LaborContract.PeriodType.FIXED else 1,
            "startDate": _day(c.start_on),
            "endDate": _day(c.end_on),
            "unit": int(c.piece_unit) if c.piece_unit.isdigit() else None,
            "unitPrice": _yuan(c.rate_fen),
        }
    )


def entry_exit_item(e: Employment, part: str) -> dict[str, Any]:
    day = e.entry_on if part == "in" else e.exit_on
    return {**_ident(e.worker), "date": _day(day), "type": 1 if part == "in" else 0}


def attendance_item(r: PassRecord) -> dict[str, Any]:
    local = r.event_time.astimezone(SHANGHAI)
    return _prune(
        {
            **_ident(r.worker),
            "date": local.strftime("%Y-%m-%d %H:%M:%S"),
            "direction": "01" if r.direction == PassRecord.Direction.IN else "02",
            "lng": float(r.lng) if r.lng is not None else None,
            "lat": float(r.lat) if r.lat is not None else None,
        }
    )


def payroll_item(line: PayrollLine, account: WageAccount | None) -> dict[str, Any]:
    w = line.worker
    return _prune(
        {
            **_ident(w),
            "days": line.days_attended,
            "workHours": float(line.hours_paid),
            "payRollBankCardNumber": w.bank_card,
            "payRollBankCode": w.bank_code,
            "payRollBankName": w.bank_name,
            "payBankCardNumber": account.account_no if account else None,
            "payBankCode": account.bank_code if account else None,
            "payBankName": account.bank_name if account else None,
            "totalPayAmount": _yuan(line.gross_fen),
            "actualAmount": _yuan(line.net_fen),
            "isBackPay": 1 if line.payroll.corrects_id else 0,
            "balanceDate": _day(line.paid_on),
            "thirdPayRollCode": line.payroll.no,
        }
    )


def training_payload(s: SafetyTraining) -> dict[str, Any]:
    return {
        "projectCode": s.project.code,
        "trainingDate": _day(s.trained_on),
        "trainingDuration": float(s.hours),
        "trainingName": s.course,
        "trainingTypeCode": "003001",
        "workerList": [{**_ident(s.worker), "workerName": s.worker.name}],
    }


def employments_of(ids: list[int]) -> dict[int, Employment]:
    qs = Employment.objects.select_related("worker", "employer", "team__enterprise", "project")
    return qs.in_bulk(ids)


def participants_of(ids: list[int]) -> dict[int, Participant]:
    return Participant.objects.select_related("enterprise", "project").in_bulk(ids)


def teams_of(ids: list[int]) -> dict[int, Team]:
    return Team.objects.select_related("enterprise", "project", "leader").in_bulk(ids)


def contracts_of(ids: list[int]) -> dict[int, LaborContract]:
    return LaborContract.objects.select_related(
        "employment__worker", "employment__employer", "employment__project"
    ).in_bulk(ids)


def passes_of(ids: list[int]) -> dict[int, PassRecord]:
    return PassRecord.objects.select_related("worker", "project").in_bulk(ids)


def payroll_lines_of(ids: list[int]) -> dict[int, PayrollLine]:
    return PayrollLine.objects.select_related(
        "worker", "payroll__employer", "payroll__project", "employment__team"
    ).in_bulk(ids)


def trainings_of(ids: list[int]) -> dict[int, SafetyTraining]:
    return SafetyTraining.objects.select_related("worker", "project").in_bulk(ids)


def wage_account_of(project_id: int) -> WageAccount | None:
    return WageAccount.objects.filter(project_id=project_id).first()


# ---- what a target should report (enqueue reads)


def participants_in(projects: QuerySet[Project]) -> QuerySet[Participant]:
    return Participant.objects.filter(project__in=projects).order_by("pk")


def teams_in(projects: QuerySet[Project]) -> QuerySet[Team]:
    return Team.objects.filter(project__in=projects).order_by("pk")


def employments_in(projects: QuerySet[Project]) -> QuerySet[Employment]:
    return Employment.objects.filter(project__in=projects).order_by("pk")


def contracts_in(projects: QuerySet[Project]) -> QuerySet[LaborContract]:
    return LaborContract.objects.filter(employment__project__in=projects).order_by("pk")


def passes_in(projects: QuerySet[Project], after_pk: int) -> QuerySet[PassRecord]:
    """Valid passes with a direction (the national format knows only 01 in and 02 out), after a watermark."""
    return PassRecord.objects.filter(
        project__in=projects,
        valid=True,
        direction__in=[PassRecord.Direction.IN, PassRecord.Direction.OUT],
        pk__gt=after_pk,
    ).order_by("pk")


def payroll_lines_in(projects: QuerySet[Project]) -> QuerySet[PayrollLine]:
    """Lines of submitted sheets (a draft is the employer's work in progress, not a record yet)."""
    return (
        PayrollLine.objects.filter(payroll__project__in=projects)
        .exclude(payroll__state="draft")
        .order_by("pk")
    )


def trainings_in(projects: QuerySet[Project]) -> QuerySet[SafetyTraining]:
    return SafetyTraining.objects.filter(project__in=projects).order_by("pk")


def uploads_due(target: UpstreamTarget, kind: str, now: dt.datetime) -> QuerySet[UpstreamUpload]:
    """Pending uploads of a kind whose time has come and whose prerequisite is done (the order rules)."""
    return UpstreamUpload.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(prerequisite__isnull=True) | Q(prerequisite__state=State.DONE),
        target=target,
        kind=kind,
        state=State.PENDING,
    ).order_by("group", "pk")
