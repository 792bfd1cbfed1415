"""Reads for contracts and wages, each through the scoping layer (smz.registry.scoping and the three
labor scopes below)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.attendance.models import DailyAttendance
from smz.core.errors import NotFound
from smz.core.pii import masked
from smz.labor.models import (
    AgeRule,
    Blacklist,
    Complaint,
    ExitSettlement,
    IdCardScan,
    LaborContract,
    LegalHold,
    PaymentBatch,
    PaymentLine,
    Payroll,
    PayrollLine,
    SafetyTraining,
    WageAccount,
    WageDeposit,
)
from smz.labor.wages import DEFAULT_PAY_DAY, next_month_day
from smz.registry import scoping
from smz.registry.models import (
    Employment,
    Enterprise,
    KeyPost,
    Participant,
    Project,
    Team,
    Worker,
)

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


def payable_lines(project: Project) -> QuerySet[PayrollLine]:
    """Lines of reviewed sheets not yet paid (new, or failed and fixed), with money to pay."""
    return (
        PayrollLine.objects.filter(
            payroll__project=project,
            payroll__state__in=[
                Payroll.State.REVIEWED,
                Payroll.State.PAYING,
                Payroll.State.PARTLY_PAID,
            ],
            pay_status__in=[PayrollLine.PayStatus.UNPAID, PayrollLine.PayStatus.FAILED],
            net_fen__gt=0,
        )
        .select_related("worker", "payroll")
        .order_by("payroll__month", "payroll_id", "pk")
    )


def payable_count(project: Project) -> int:
    """How many lines wait to be paid on the project (the hub's 代发 button)."""
    return payable_lines(project).count()


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


# ---- contracts in force --------------------------------------------------------------------------


def contract_in_force(employment_id: int, day: dt.date) -> LaborContract | None:
    """The contract that governs a day: active, started, not past its end."""
    return (
        LaborContract.objects.filter(employment=employment_id, start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .order_by("-start_on", "-pk")
        .first()
    )


# ---- 进场核验 (entry checks, smz.labor.services.entry admits on them) --------------------------------


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    level: str  # "block" | "warn"
    message: str


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def entry_checks(employment: Employment, today: dt.date | None = None) -> list[Check]:
    today = today or timezone.localdate()
    worker = employment.worker
    contract = contract_in_force(employment.pk, today)
    checks = [
        Check(
            "contract",
            contract is not None,
            "block",
            "已签订劳动合同" if contract else "未签订劳动合同（或合同已到期）",
        ),
    ]
    trained = SafetyTraining.objects.filter(
        project=employment.project_id, worker=worker.pk
    ).exists()
    checks.append(
        Check(
            "training",
            trained,
            "block",
            "已进行岗前安全培训" if trained else "未登记本项目岗前安全培训",
        )
    )
    barred = (
        Blacklist.objects.filter(worker=worker.pk, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .first()
    )
    checks.append(
        Check(
            "blacklist",
            barred is None,
            "block",
            "不在黑名单" if barred is None else f"在黑名单中：{barred.reason}",
        )
    )
    rule = AgeRule.objects.filter(valid_from__lte=today).order_by("-valid_from").first()
    if rule and worker.birth_date:
        age = _age(worker.birth_date, today)
        limit = rule.max_age_male if worker.gender == "1" else rule.max_age_female
        ok = rule.min_age <= age <= limit
        checks.append(
            Check(
                "age",
                ok,
                "block",
                f"年龄 {age} 岁" + ("" if ok else f"，超出本市规定（{rule.min_age}–{limit} 岁）"),
            )
        )
    valid_to = worker.id_valid_to
    id_ok = valid_to is None or valid_to >= today
    checks.append(
        Check(
            "id_valid",
            id_ok,
            "block",
            ("证件长期有效" if valid_to is None else f"证件有效期至 {valid_to:%Y-%m-%d}")
            + ("" if id_ok else "，已过期"),
        )
    )
    checks.append(
        Check(
            "face",
            bool(worker.face_photo),
            "block",
            "已采集现场人脸" if worker.face_photo else "未采集现场人脸照片",
        )
    )
    elsewhere = list(
        Employment.objects.filter(worker=worker.pk, status=Employment.Status.ACTIVE)
        .exclude(project=employment.project_id)
        .select_related("project")
        .values_list("project__name", flat=True)
    )
    checks.append(
        Check(
            "elsewhere",
            not elsewhere,
            "warn",
            "未在其他项目在场" if not elsewhere else "仍在其他项目在场：" + "、".join(elsewhere),
        )
    )
    return checks


# ---- 维权投诉 (complaints) ---------------------------------------------------------------------------


OPEN = (Complaint.Status.SUBMITTED, Complaint.Status.ACCEPTED)


def may_handle(user: Any, complaint: Complaint) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.role == Role.CITY_ADMIN
        or (
            user.role in {Role.APPROVER_L1, Role.APPROVER_L2}
            and user.authority_id == complaint.authority_id
        )
    )


def complaints_for(user: Any) -> QuerySet[Complaint]:
    """A worker his own; the routed authority its own; the city all; nobody else."""
    qs = Complaint.objects.select_related("project", "worker", "authority")
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.WORKER:
        return qs.filter(worker=user.worker_id) if user.worker_id else qs.none()
    if not scoping.is_authority(user):
        return qs.none()
    if user.is_superuser or user.authority.city_wide:
        return qs
    return qs.filter(authority=user.authority_id)


# ---- 工资保证金 (wage deposits) -----------------------------------------------------------------------


TOP_UP_WORKING_DAYS = 10  # the GC makes a draw good within 10 working days


def add_working_days(day: dt.date, n: int) -> dt.date:
    """Working days, weekends skipped (public holidays are not in the platform's calendar yet)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def top_up_due(deposit: WageDeposit) -> dt.date | None:
    """When the last draw must be made good by, if the balance is short."""
    if deposit.balance_fen >= deposit.amount_fen:
        return None
    last = deposit.movements.filter(kind="draw").order_by("-on").first()
    return add_working_days(last.on, TOP_UP_WORKING_DAYS) if last else None


# ---- retention: legal holds ----------------------------------------------------------------------


def held_projects() -> set[int]:
    return set(LegalHold.objects.filter(released_at__isnull=True).values_list("project", flat=True))


# ---- 欠薪预警 (arrears alerts) ------------------------------------------------------------------------
# 欠薪预警 (L5; 条例 Art.27 and Guangzhou's paid-vs-attended check): the rules that find wages at risk, computed
# on read from payrolls, attendance, exits and the special account, so every alert is traceable to its data.
#
# Rules (each yields Alert rows with the project, the employer and a reason in Chinese):
# - unpaid: a submitted month past its pay day with money not (fully) paid, however long ago, until it is paid;
# - late: a month paid, but after its pay day (the last LOOKBACK_MONTHS months);
# - exit_unsettled: an exit confirmation with a balance still owed;
# - attendance_no_payroll: people who attended in a month whose pay day has passed, with no submitted sheet
#   (the last LOOKBACK_MONTHS months);
# - headcount: in such a month, the number of people paid differs from the number who attended;
# - no_account: an active in-scope project with labor on site and no wage special account.

RULES = {
    "unpaid": "逾期未足额发放",
    "late": "延迟发放",
    "exit_unsettled": "退场未结清",
    "attendance_no_payroll": "有考勤无工资表",
    "headcount": "发薪人数与出勤人数不符",
    "no_account": "未开设工资专用账户",
}
LOOKBACK_MONTHS = 6


@dataclass(frozen=True)
class Alert:
    rule: str
    project: Project
    employer_name: str
    month: dt.date | None
    amount_fen: int
    people: int
    detail: str

    @property
    def label(self) -> str:
        return RULES[self.rule]


def _months_back(today: dt.date) -> dt.date:
    first = today.replace(day=1)
    for _ in range(LOOKBACK_MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def alerts_for(user: Any, *, today: dt.date | None = None, rule: str = "") -> list[Alert]:
    """Every alert on the projects the user may see (GC: its projects; authorities: their area)."""
    today = today or timezone.localdate()
    since = _months_back(today)
    projects = scoping.projects_for(user).filter(in_scope=True)
    if scoping.is_enterprise_user(user):
        projects = projects.filter(pk__in=scoping.gc_project_ids(user))
    elif not scoping.is_authority(user):
        return []
    project_ids = set(projects.values_list("pk", flat=True))
    if not project_ids:
        return []
    by_id = {p.pk: p for p in Project.objects.filter(pk__in=project_ids)}
    alerts: list[Alert] = []
    wanted = (lambda r: r == rule) if rule else (lambda r: True)

    due = Payroll.objects.filter(project__in=project_ids, pay_due_on__lt=today).exclude(
        state=Payroll.State.DRAFT
    )
    # Each rule is a fixed number of queries, however many projects, sheets and exits there are (N5).
    if wanted("unpaid"):
        # Unpaid wages stay on the list however old they are, until they are paid.
        for p in (
            due.select_related("employer")
            .annotate(
                owed=Coalesce(Sum("lines__net_fen"), 0),
                paid=Coalesce(Sum("lines__paid_fen"), 0),
                unpaid_people=Count(
                    "lines", filter=Q(lines__net_fen__gt=0) & ~Q(lines__pay_status="paid")
                ),
            )
            .filter(paid__lt=F("owed"))
        ):
            alerts.append(
                Alert(
                    "unpaid",
                    by_id[p.project_id],
                    p.employer.name,
                    p.month,
                    p.owed - p.paid,
                    p.unpaid_people,
                    f"{p.no} 应于 {p.pay_due_on:%Y-%m-%d} 前发放，尚欠 {(p.owed - p.paid) / 100:,.2f} 元",
                )
            )
    if wanted("late"):
        # Wages paid late are history once paid: the last LOOKBACK_MONTHS months are shown.
        late = {
            row["payroll"]: row
            for row in PayrollLine.objects.filter(
                payroll__in=due.filter(month__gte=since),
                pay_status="paid",
                paid_on__gt=F("payroll__pay_due_on"),
            )
            .values("payroll")
            .annotate(amount=Sum("paid_fen"), people=Count("pk"), last=Max("paid_on"))
        }
        for payroll in Payroll.objects.filter(pk__in=late).select_related("employer"):
            row = late[payroll.pk]
            alerts.append(
                Alert(
                    "late",
                    by_id[payroll.project_id],
                    payroll.employer.name,
                    payroll.month,
                    row["amount"] or 0,
                    row["people"],
                    f"{payroll.no} 应于 {payroll.pay_due_on:%Y-%m-%d} 前发放，"
                    f"实际最晚 {row['last']:%Y-%m-%d}",
                )
            )
    if wanted("exit_unsettled"):
        settlements = list(
            ExitSettlement.objects.filter(
                employment__project__in=project_ids, balance_fen__gt=0
            ).select_related("employment__employer", "employment__worker")
        )
        # The confirmation's figures are frozen; what counts is what has been paid since.
        paid_since = dict(
            PayrollLine.objects.filter(employment__in=[s.employment_id for s in settlements])
            .exclude(payroll__state=Payroll.State.DRAFT)
            .values("employment")
            .annotate(paid=Sum("paid_fen"))
            .values_list("employment", "paid")
        )
        for s in settlements:
            owed = s.owed_fen - (paid_since.get(s.employment_id) or 0)
            if owed <= 0:
                continue
            alerts.append(
                Alert(
                    "exit_unsettled",
                    by_id[s.employment.project_id],
                    s.employment.employer.name,
                    None,
                    owed,
                    1,
                    f"{s.employment.worker.name} {s.exit_on:%Y-%m-%d} 退场，尚欠 {owed / 100:,.2f} 元",
                )
            )
    if wanted("attendance_no_payroll") or wanted("headcount"):
        alerts += _attendance_checks(project_ids, by_id, since, today, wanted)
    if wanted("no_account"):
        have = set(
            WageAccount.objects.filter(project__in=project_ids).values_list("project", flat=True)
        )
        labor = set(
            Employment.objects.filter(
                project__in=project_ids - have,
                status=Employment.Status.ACTIVE,
                work_role=Employment.Role.WORKER,
            ).values_list("project", flat=True)
        )
        for pid in sorted(labor):
            if by_id[pid].status == Project.Status.ACTIVE:
                alerts.append(
                    Alert(
                        "no_account",
                        by_id[pid],
                        "",
                        None,
                        0,
                        0,
                        "有劳务人员在场，未登记工资专用账户",
                    )
                )
    return sorted(alerts, key=lambda a: (a.project.code, a.month or dt.date.min, a.rule))


def _attendance_checks(
    project_ids: set[int],
    by_id: dict[int, Project],
    since: dt.date,
    today: dt.date,
    wanted: Callable[[str], bool],
) -> list[Alert]:
    """Months whose pay day has passed: who attended (labor) vs who is on a submitted sheet, who was paid."""
    alerts: list[Alert] = []
    attended: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    employer_of: dict[tuple[int, int], str] = {}
    for pid, month, worker in (
        DailyAttendance.objects.filter(project__in=project_ids, work_date__gte=since, attended=True)
        .annotate(m=TruncMonth("work_date"))
        .values_list("project", "m", "worker")
        .distinct()
    ):
        if next_month_day(month, DEFAULT_PAY_DAY) < today:
            attended[(pid, month)].add(worker)
    labor = {
        (e["project"], e["worker"]): e["employer__name"]
        for e in Employment.objects.filter(
            project__in=project_ids, work_role=Employment.Role.WORKER
        ).values("project", "worker", "employer__name")
    }
    employer_of.update(labor)
    on_sheet: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    paid: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for pid, month, worker, paid_fen in (
        PayrollLine.objects.filter(payroll__project__in=project_ids, payroll__month__gte=since)
        .exclude(payroll__state=Payroll.State.DRAFT)
        .values_list("payroll__project", "payroll__month", "worker", "paid_fen")
    ):
        on_sheet[(pid, month)].add(worker)
        if paid_fen > 0:
            paid[(pid, month)].add(worker)
    for (pid, month), workers in sorted(attended.items()):
        workers = {w for w in workers if (pid, w) in labor}
        if not workers:
            continue
        missing = workers - on_sheet[(pid, month)]
        if missing and wanted("attendance_no_payroll"):
            employers = sorted({employer_of[(pid, w)] for w in missing})
            alerts.append(
                Alert(
                    "attendance_no_payroll",
                    by_id[pid],
                    "、".join(employers),
                    month,
                    0,
                    len(missing),
                    f"{month:%Y-%m} 有 {len(missing)} 人出勤但不在任何已提交的工资表上",
                )
            )
        if wanted("headcount") and len(paid[(pid, month)]) != len(workers):
            alerts.append(
                Alert(
                    "headcount",
                    by_id[pid],
                    "",
                    month,
                    0,
                    abs(len(workers) - len(paid[(pid, month)])),
                    f"{month:%Y-%m} 出勤 {len(workers)} 人，发薪 {len(paid[(pid, month)])} 人",
                )
            )
    return alerts


def alert_counts(alerts: list[Alert]) -> dict[str, int]:
    counts = dict.fromkeys(RULES, 0)
    for a in alerts:
        counts[a.rule] += 1
    return counts


def alerts_summary_for(user: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    """工作台: how many alerts stand in the user's scope, by rule. Computed on read like the alerts page (a
    fixed ~11 queries whatever the number of projects; ~60 ms on the demo city), so both always agree."""
    alerts = alerts_for(user, today=today)
    counts = alert_counts(alerts)
    return {
        "total": len(alerts),
        "by_rule": [{"rule": k, "label": RULES[k], "n": n} for k, n in counts.items() if n],
    }


def alerts_xlsx(alerts: list[Alert]) -> bytes:
    """The alert list as a spreadsheet for the people who chase the money."""
    import io

    from openpyxl import Workbook

    from smz.core.xlsx import safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = "欠薪预警"
    ws.append(
        [
            "预警类型",
            "项目编码",
            "项目名称",
            "镇区",
            "用工企业",
            "月份",
            "涉及金额(元)",
            "人数",
            "说明",
        ]
    )
    for a in alerts:
        ws.append(
            safe_row(
                [
                    a.label,
                    a.project.code,
                    a.project.name,
                    str(a.project.jurisdiction),
                    a.employer_name,
                    f"{a.month:%Y-%m}" if a.month else "",
                    a.amount_fen / 100,
                    a.people,
                    a.detail,
                ]
            )
        )
    for col, width in zip("ABCDEFGHI", (16, 18, 30, 10, 28, 9, 14, 6, 60), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- what the labor pages show (labor/views/) ---------------------------------------------------------


def entries_awaiting_count(project: Project, employers: list[Enterprise]) -> int:
    """How many of the given employers' people on the project wait for their entry checks."""
    return entries_awaiting_check(project).filter(employer__in=[e.pk for e in employers]).count()


def entry_desk_facts(employment: Employment) -> dict[str, Any]:
    """The entry desk (进场核验) of one person: the checks, his trainings on the project, the last admissions."""
    employment.refresh_from_db()
    return {
        "checks": entry_checks(employment),
        "trainings": employment.worker.trainings.filter(project=employment.project),
        "admissions": employment.admissions.select_related("checked_by")[:5],
    }


def exit_get_for(user: Any, pk: int) -> ExitSettlement | None:
    """An exit confirmation of a person the user sees (employments_for), or None."""
    return (
        ExitSettlement.objects.select_related(
            "employment__project", "employment__worker", "employment__employer", "employment__team"
        )
        .filter(pk=pk, employment__in=scoping.employments_for(user).values("pk"))
        .first()
    )


def exit_of(employment: Employment) -> ExitSettlement | None:
    """The exit confirmation of an employment the caller got through employment_get_for, or None."""
    return ExitSettlement.objects.filter(employment=employment).first()


def my_line(user: Any, pk: int | None) -> PayrollLine | None:
    """One of a worker's own payroll lines, or None."""
    return my_lines(user).filter(pk=pk or 0).first()


def my_contracts(user: Any) -> QuerySet[LaborContract]:
    """A worker's own labor contracts with their project and employer."""
    return contracts_for(user).select_related("employment__project", "employment__employer")


def my_exits(user: Any) -> QuerySet[ExitSettlement]:
    """A worker's own exit confirmations."""
    return ExitSettlement.objects.filter(
        employment__in=scoping.employments_for(user).values("pk")
    ).select_related("employment__project")


def pay_slip_line_for(user: Any, pk: int) -> PayrollLine | None:
    """A payroll line whose pay slip the user may read (the worker, his employer, the GC, authorities)."""
    return (
        payroll_lines_for(user)
        .select_related("worker", "payroll__project", "payroll__employer", "payroll__team")
        .filter(pk=pk)
        .first()
    )


def my_projects(user: Any) -> QuerySet[Project]:
    """The projects a worker works or worked on (those he may complain about)."""
    return Project.objects.filter(employments__worker=user.worker_id).distinct()


def my_project(user: Any, code: str) -> Project | None:
    """One of a worker's projects by its code, or None."""
    return my_projects(user).filter(code=code).first()


def my_worker(user: Any) -> Worker:
    """A worker account's own person."""
    return Worker.objects.get(pk=user.worker_id)


def complaint_get_for(user: Any, pk: int | None) -> Complaint | None:
    """A complaint the user sees (complaints_for), or None."""
    return complaints_for(user).filter(pk=pk or 0).first()


def complaint_rows_for(user: Any, status: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The complaints the user sees in a status ("open": submitted or accepted; unknown: all), each with
    whether the user may handle it."""
    qs = complaints_for(user)
    if status == "open":
        qs = qs.filter(status__in=OPEN)
    elif status in Complaint.Status.values:
        qs = qs.filter(status=status)
    return [{"c": c, "may": may_handle(user, c)} for c in qs[:limit]]


def legal_holds_readable(user: Any) -> bool:
    """The city reads the legal holds: its market section (city_admin), its supervisors, superusers."""
    return bool(user.is_superuser or user.role in {Role.CITY_ADMIN, Role.CITY_SUPERVISOR})


def legal_holds_manageable(user: Any) -> bool:
    """Only the city's market section places and releases holds (the services check it again)."""
    return bool(user.is_superuser or user.role == Role.CITY_ADMIN)


def legal_hold_open(pk: int | None) -> LegalHold | None:
    """A legal hold still in force, or None (the city's pages; the service checks the role)."""
    return LegalHold.objects.filter(pk=pk or 0, released_at__isnull=True).first()


def project_by_code(code: str) -> Project | None:
    """A project by its code, city-wide (the legal holds page of the city's market section)."""
    return Project.objects.filter(code=code).first()


def legal_holds_list(*, limit: int = 500) -> QuerySet[LegalHold]:
    """Every legal hold, those in force first, newest first."""
    return LegalHold.objects.select_related("project", "placed_by", "released_by").order_by(
        "released_at", "-placed_at"
    )[:limit]


def batch_lines_of(batch: PaymentBatch) -> QuerySet[PaymentLine]:
    """A batch's transfers (of a batch the caller got through batch_get_for) with payee and sheet."""
    return batch.lines.select_related("payroll_line__worker", "payroll_line__payroll")
