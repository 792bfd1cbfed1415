"""Reads for contracts and wages, each through the scoping layer (smz.registry.scoping and the three
labor scopes below)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.core.errors import NotFound
from smz.core.pii import masked
from smz.labor.models import (
    IdCardScan,
    LaborContract,
    PaymentBatch,
    Payroll,
    PayrollLine,
    WageAccount,
)
from smz.registry import scoping
from smz.registry.models import Employment, Enterprise, KeyPost, Participant, Project, Team

# ---- scoping: labor's records on top of the registry's (smz.registry.scoping) ----------------------------


def payrolls_for(user: Any) -> QuerySet:
    """Payrolls (L2): authorities by project; an enterprise its own, or all on projects where it is the GC.
    Workers read their own lines through payroll_lines_for, never whole sheets."""
    qs = Payroll.objects.all()
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        return qs.none()
    qs = qs.filter(project__in=scoping.projects_for(user).values("pk"))
    if scoping.is_enterprise_user(user):
        qs = qs.filter(Q(employer=user.enterprise_id) | Q(project__in=scoping.gc_project_ids(user)))
    return qs


def payroll_lines_for(user: Any) -> QuerySet:
    """Payroll lines: a worker sees his own; staff see the lines of the payrolls they see."""
    if user.is_authenticated and user.role == Role.WORKER:
        return (
            PayrollLine.objects.filter(worker=user.worker_id)
            if user.worker_id
            else (PayrollLine.objects.none())
        )
    return PayrollLine.objects.filter(payroll__in=payrolls_for(user).values("pk"))


def contracts_for(user: Any) -> QuerySet:
    """Labor contracts follow the people (employments_for): a worker his own, staff the people they see."""
    return LaborContract.objects.filter(employment__in=scoping.employments_for(user).values("pk"))


def payroll_get_for(user: Any, pk: int) -> Payroll:
    payroll = (
        payrolls_for(user)
        .select_related("project", "employer", "team", "corrects")
        .filter(pk=pk)
        .first()
    )
    if payroll is None:
        raise NotFound("工资表")
    return payroll


def payroll_list_for(user: Any, project: Project) -> QuerySet[Payroll]:
    return (
        payrolls_for(user)
        .filter(project=project)
        .select_related("employer", "team")
        .annotate(
            n=Count("lines"),
            gross=Sum("lines__gross_fen"),
            net=Sum("lines__net_fen"),
            paid=Sum("lines__paid_fen"),
            confirmed=Count("lines", filter=Q(lines__confirmed_at__isnull=False)),
        )
        .order_by("-month", "employer__name", "team__name", "pk")
    )


def payroll_lines_of(payroll: Payroll) -> list[PayrollLine]:
    """A payroll's lines (of a payroll the caller got through `payroll_get_for`), by worker name."""
    return list(payroll.lines.select_related("worker", "contract").order_by("worker__name"))


def payroll_line_of(payroll: Payroll, pk: int | None) -> PayrollLine | None:
    """One line of a payroll the caller got through `payroll_get_for`, or None."""
    return payroll.lines.filter(pk=pk or 0).first()


def contract_get_for(user: Any, pk: int) -> LaborContract:
    contract = (
        contracts_for(user)
        .select_related(
            "employment__project", "employment__worker", "employment__employer", "employment__team"
        )
        .filter(pk=pk)
        .first()
    )
    if contract is None:
        raise NotFound("劳动合同")
    return contract


def roster_contracts_for(user: Any, project: Project) -> list[dict[str, Any]]:
    """Everyone on the project the user may see, with his active contract (or none)."""
    employments = (
        scoping.employments_for(user)
        .filter(project=project, status=Employment.Status.ACTIVE)
        .select_related("worker", "employer", "team")
        .order_by("employer__name", "team__name", "worker__name")
    )
    active = {
        c.employment_id: c
        for c in LaborContract.objects.filter(
            employment__in=employments.values("pk"), status=LaborContract.Status.ACTIVE
        )
    }
    return [{"e": e, "contract": active.get(e.pk)} for e in employments]


def batches_for(user: Any, project: Project) -> QuerySet[PaymentBatch]:
    """Payment batches: the project's general contractor and the authorities."""
    if not (scoping.is_authority(user) or scoping.is_gc_of(user, project)):
        return PaymentBatch.objects.none()
    if not scoping.projects_for(user).filter(pk=project.pk).exists():
        return PaymentBatch.objects.none()
    return PaymentBatch.objects.filter(project=project).order_by("-created_at")


def batch_get_for(user: Any, pk: int) -> PaymentBatch:
    batch = PaymentBatch.objects.select_related("project").filter(pk=pk).first()
    if batch is None or not batches_for(user, batch.project).filter(pk=pk).exists():
        raise NotFound("代发批次")
    return batch


def wage_account_of(project: Project) -> WageAccount | None:
    return WageAccount.objects.filter(project=project).first()


def my_lines(user: Any) -> QuerySet[PayrollLine]:
    """A worker's own payroll lines, newest month first."""
    return (
        payroll_lines_for(user)
        .select_related("payroll", "payroll__project", "payroll__employer", "payroll__team")
        .order_by("-payroll__month", "-pk")
    )


def my_attendance(user: Any, month: dt.date | None = None) -> dict[str, Any]:
    """A worker's own days of one month (the latest month he attended anywhere, unless `month` names one of
    his months), newest first, and the months he can choose from (newest first)."""
    from smz.attendance.models import DailyAttendance

    mine = DailyAttendance.objects.filter(worker=user.worker_id)
    months = list(mine.dates("work_date", "month", order="DESC"))
    if month not in months:
        month = months[0] if months else timezone.localdate().replace(day=1)
    after = (month + dt.timedelta(days=31)).replace(day=1)
    rows = (
        mine.filter(work_date__gte=month, work_date__lt=after)
        .select_related("project")
        .order_by("-work_date", "project__name")
    )
    return {
        "month": month,
        "months": months,
        "days": [
            {
                "day": r.work_date,
                "project": r.project.name,
                "attended": r.attended,
                "first_in": r.first_in,
                "last_out": r.last_out,
                "hours": round(r.minutes / 60, 1),
            }
            for r in rows
        ],
    }


def contracts_expiring(
    user: Any, project: Project, *, within_days: int = 30, today: dt.date | None = None
) -> QuerySet[LaborContract]:
    """Active fixed-term contracts of people still on the project that end within N days of today (续签提醒)."""
    today = today or timezone.localdate()
    return (
        contracts_for(user)
        .filter(
            employment__project=project,
            employment__status=Employment.Status.ACTIVE,
            status=LaborContract.Status.ACTIVE,
            end_on__isnull=False,
            end_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("employment__worker", "employment__employer")
        .order_by("end_on")
    )


def labor_work_for(
    user: Any, *, within_days: int = 30, today: dt.date | None = None
) -> dict[str, Any]:
    """A labor specialist's work (劳资工作台), per project in the user's scope: payroll lines waiting for the
    worker's confirmation (on sheets still being drafted), active contracts of people on site ending within
    `within_days` (the same rule as contracts_expiring), and people waiting for their entry checks
    (待进场核验). A fixed number of queries however many projects."""
    today = today or timezone.localdate()

    def by_project(qs: QuerySet, field: str) -> dict[int, int]:
        return dict(qs.values(field).annotate(n=Count("pk")).values_list(field, "n").order_by())

    unconfirmed = by_project(
        payroll_lines_for(user).filter(
            confirmed_at__isnull=True, payroll__state=Payroll.State.DRAFT
        ),
        "payroll__project",
    )
    expiring = by_project(
        contracts_for(user).filter(
            employment__status=Employment.Status.ACTIVE,
            status=LaborContract.Status.ACTIVE,
            end_on__isnull=False,
            end_on__lte=today + dt.timedelta(days=within_days),
        ),
        "employment__project",
    )
    pending = by_project(
        scoping.employments_for(user).filter(
            status=Employment.Status.ACTIVE, gate_status="pending"
        ),
        "project",
    )
    ids = set(unconfirmed) | set(expiring) | set(pending)
    projects = scoping.projects_for(user).filter(pk__in=ids).order_by("code")
    rows = [
        {
            "project": p,
            "unconfirmed": unconfirmed.get(p.pk, 0),
            "expiring": expiring.get(p.pk, 0),
            "pending": pending.get(p.pk, 0),
        }
        for p in projects
    ]
    return {
        "rows": rows,
        "within_days": within_days,
        "unconfirmed": sum(r["unconfirmed"] for r in rows),
        "expiring": sum(r["expiring"] for r in rows),
        "pending": sum(r["pending"] for r in rows),
    }


# ---- the project labor hub (labor/views/project.py) -------------------------------------------------


def enterprise_pick(pk: int | None) -> Enterprise | None:
    """The enterprise a hub form names (the service it is passed to checks the user's rights)."""
    return Enterprise.objects.filter(pk=pk or 0).first()


def team_pick(pk: int | None, *, project: Project | None = None) -> Team | None:
    """The team a hub form names, on the project when one is given."""
    qs = Team.objects.filter(pk=pk or 0)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.first()


def idcard_scan_pick(project: Project, pk: int | None) -> IdCardScan | None:
    """A card reader's scan on the project, named by a hub form."""
    return IdCardScan.objects.filter(project=project, pk=pk or 0).first()


def hub_employers_for(user: Any, project: Project) -> list[Enterprise]:
    """The employers on the project whose roster the user may maintain (not the builder or supervisor)."""
    return [
        p.enterprise
        for p in Participant.objects.filter(project=project).select_related("enterprise")
        if scoping.can_maintain_roster(user, project, p.enterprise_id)
        and p.corp_type not in {Participant.BUILDER, Participant.SUPERVISION}
    ]


def entries_awaiting_check(project: Project) -> QuerySet[Employment]:
    """Active employments on the project not yet checked for entry (gate pending)."""
    return Employment.objects.filter(
        project=project, status=Employment.Status.ACTIVE, gate_status="pending"
    )


def idcard_scans_new(project: Project, *, limit: int = 50) -> list[dict[str, Any]]:
    """The card reader's unregistered scans on the project, newest first, ID numbers masked."""
    return [
        {"s": s, "id_masked": masked(s.worker, "id_number")}
        for s in IdCardScan.objects.filter(project=project, status=IdCardScan.Status.NEW)
        .select_related("worker")
        .order_by("-received_at")[:limit]
    ]


def hub_teams(project: Project, employers: list[Enterprise]) -> QuerySet[Team]:
    """The project's teams of the given employers."""
    return Team.objects.filter(project=project, enterprise__in=employers)


def notice_board_facts(project: Project) -> dict[str, Any]:
    """What the 维权信息告示牌 names: participants, the GC's project manager, labor specialists, pay days."""
    return {
        "parts": list(Participant.objects.filter(project=project).select_related("enterprise")),
        "pm": KeyPost.objects.filter(project=project, post="P01").select_related("holder").first(),
        "specialists": [
            (u.enterprise.name if u.enterprise else "", u.display_name or u.username, "")
            for u in User.objects.filter(
                projects=project, role=Role.LABOR_SPECIALIST, is_active=True
            ).select_related("enterprise")
        ],
        "pay_days": list(
            LaborContract.objects.filter(
                employment__project=project, status=LaborContract.Status.ACTIVE
            ).values_list("pay_day", flat=True)
        ),
    }
