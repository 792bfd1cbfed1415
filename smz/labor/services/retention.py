"""Retention (L4): how long labor records are kept, and the purge that removes only what has expired.

- Workload, attendance, payment and settlement records the worker confirmed (exit confirmations, contracts):
  at least 2 years after completion acceptance (notice 三(五)).
- Payrolls (工资支付台账, with their lines and bank transfers): at least 3 years (条例 Art.15), and never before
  2 years after completion.
- Attendance (pass records with their snapshots, daily and key-post days): 2 years after completion, as a
  whole project (smz/attendance/retention.py removes it).
A record's `retain_until` is set once its project's completion date is known (`retention_refresh`); records
without one are never purged. A legal hold on a project stops every purge on it. Each purge is an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from smz.attendance.retention import (
    pass_months_drop,
    project_attendance_counts,
    project_attendance_purge,
)
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import (
    ExitSettlement,
    LaborContract,
    LegalHold,
    PaymentBatch,
    PaymentLine,
    Payroll,
    PayrollLine,
)
from smz.labor.selectors import held_projects
from smz.labor.wages import month_bounds
from smz.registry.models import Project

AFTER_COMPLETION_YEARS = 2
PAYROLL_YEARS = 3


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def payroll_retain_until(payroll: Payroll, completed_on: dt.date | None) -> dt.date | None:
    if completed_on is None:
        return None
    _, last = month_bounds(payroll.month)
    return max(_plus_years(last, PAYROLL_YEARS), _plus_years(completed_on, AFTER_COMPLETION_YEARS))


def retention_refresh() -> int:
    """Give every record of a completed project its retention date (idempotent; never shortens one)."""
    changed = 0
    for project in Project.objects.filter(completed_on__isnull=False):
        completed = project.completed_on
        if completed is None:  # filtered out above; tells the type checker
            continue
        done = _plus_years(completed, AFTER_COMPLETION_YEARS)
        for model in (ExitSettlement, LaborContract):
            qs = model.objects.filter(employment__project=project)
            changed += qs.filter(retain_until__isnull=True).update(retain_until=done)
            changed += qs.filter(retain_until__lt=done).update(retain_until=done)
        for payroll in Payroll.objects.filter(project=project):
            keep = payroll_retain_until(payroll, completed)
            if keep is not None and (payroll.retain_until is None or payroll.retain_until < keep):
                Payroll.objects.filter(pk=payroll.pk).update(retain_until=keep)
                changed += 1
    return changed


@dataclass(frozen=True)
class PurgeResult:
    payrolls: int
    exits: int
    contracts: int
    held: int
    attendance_projects: int = 0
    passes: int = 0
    attendance_held: int = 0  # projects whose expired attendance a legal hold keeps


def _attendance_expired(today: dt.date) -> list[Project]:
    """Completed projects whose attendance is past its 2 years and still has rows."""
    return [
        project
        for project in Project.objects.filter(completed_on__isnull=False).order_by("pk")
        if project.completed_on is not None
        and _plus_years(project.completed_on, AFTER_COMPLETION_YEARS) < today
        and project_attendance_counts(project.pk)
    ]


def _purged(record: Any, what: str) -> None:
    """The event a purged record leaves behind: what it was, its number and the date it was kept until."""
    event_record(
        actor=None,
        kind=LaborEventKind.RETENTION_PURGED,
        subject=record,
        data={"what": what, "no": record.no, "retain_until": str(record.retain_until)},
    )


def retention_purge(*, today: dt.date | None = None, dry_run: bool = False) -> PurgeResult:
    """Remove labor records whose retention date has passed, except on projects under a legal hold."""
    today = today or timezone.localdate()
    held = held_projects()
    expired_payrolls = Payroll.objects.filter(retain_until__lt=today)
    expired_exits = ExitSettlement.objects.filter(retain_until__lt=today)
    expired_contracts = LaborContract.objects.filter(retain_until__lt=today)
    held_count = (
        expired_payrolls.filter(project__in=held).count()
        + expired_exits.filter(employment__project__in=held).count()
        + expired_contracts.filter(employment__project__in=held).count()
    )
    payrolls = list(expired_payrolls.exclude(project__in=held))
    exits = list(expired_exits.exclude(employment__project__in=held))
    # A contract goes only when no payroll line that stays still points at it.
    contracts = [
        c
        for c in expired_contracts.exclude(employment__project__in=held)
        if not PayrollLine.objects.filter(contract=c).exclude(payroll__in=payrolls).exists()
    ]
    attendance = _attendance_expired(today)
    attendance_held = sum(p.pk in held for p in attendance)
    attendance = [p for p in attendance if p.pk not in held]
    counted = {
        "payrolls": len(payrolls),
        "exits": len(exits),
        "contracts": len(contracts),
        "held": held_count,
        "attendance_projects": len(attendance),
        "attendance_held": attendance_held,
    }
    if dry_run:
        return PurgeResult(
            **counted, passes=sum(project_attendance_counts(p.pk).passes for p in attendance)
        )
    files: list[Any] = []

    def files_delete() -> None:
        for f in files:
            if f:
                f.delete(save=False)

    with transaction.atomic():
        # Corrections first (they point at the sheets they correct), then the sheets.
        for payroll in sorted(payrolls, key=lambda p: p.corrects_id is None):
            files.append(payroll.signed_sheet)
            lines = PayrollLine.objects.filter(payroll=payroll)
            batches = set(
                PaymentLine.objects.filter(payroll_line__in=lines).values_list("batch", flat=True)
            )
            PaymentLine.objects.filter(payroll_line__in=lines).delete()
            for batch in PaymentBatch.objects.filter(pk__in=batches):
                if not batch.lines.exists():
                    files.append(batch.receipt)
                    batch.delete()
            lines.delete()
            _purged(payroll, "payroll")
            payroll.delete()
        records: list[ExitSettlement | LaborContract] = [*exits, *contracts]
        for record in records:
            files.append(record.signed_scan)
            _purged(record, type(record).__name__)
            record.delete()
        transaction.on_commit(files_delete)
    passes = 0
    # PostgreSQL: months of passes that belong only to these projects go whole (one partition each).
    dropped = pass_months_drop(project_ids={p.pk for p in attendance}, today=today)
    for project in attendance:  # each month of it in its own transaction
        removed = project_attendance_purge(project.pk)
        removed = replace(removed, passes=removed.passes + dropped.get(project.pk, 0))
        passes += removed.passes
        event_record(
            actor=None,
            kind=LaborEventKind.RETENTION_PURGED,
            subject=project,
            data={
                "what": "attendance",
                "passes": removed.passes,
                "days": removed.days,
                "key_post_days": removed.key_post_days,
                "retain_until": str(
                    _plus_years(project.completed_on, AFTER_COMPLETION_YEARS)
                    if project.completed_on
                    else None
                ),
            },
        )
    return PurgeResult(**counted, passes=passes)


def legal_hold_place(*, actor: Any, project: Project, reason: str) -> LegalHold:
    """Only the city's market section places holds (disputes, inspections, court orders)."""
    if not (actor.is_superuser or actor.role == "city_admin"):
        raise Forbidden("仅市级管理员可设置法律保全")
    if not reason.strip():
        raise DomainError(
            LaborErrorCode.HOLD_REASON, "请填写保全原因", {"fields": {"reason": "必填"}}
        )
    with transaction.atomic():
        hold = LegalHold.objects.create(
            project=project, reason=reason.strip()[:200], placed_by=actor
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.RETENTION_HOLD_PLACED,
            subject=project,
            data={"hold": hold.pk},
        )
    return hold


def legal_hold_release(*, actor: Any, hold: LegalHold) -> LegalHold:
    if not (actor.is_superuser or actor.role == "city_admin"):
        raise Forbidden("仅市级管理员可解除法律保全")
    with transaction.atomic():
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.save(update_fields=["released_at", "released_by"])
        event_record(
            actor=actor,
            kind=LaborEventKind.RETENTION_HOLD_RELEASED,
            subject=hold.project,
            data={"hold": hold.pk},
        )
    return hold
