"""Payrolls (L2; 保障农民工工资支付条例 Art.15, 26, 28, 31): draft from attendance and contracts, edit, the
blocking checks, worker confirmation, signed sheet, submit (locks), GC review, corrections."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from smz.attendance.models import DailyAttendance
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.locks import lock_row
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import EXTENSIONS, upload_check
from smz.labor import wages
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import (
    MinimumWage,
    Payroll,
    PayrollLine,
    WageKind,
)
from smz.labor.selectors import contract_in_force
from smz.labor.services.contracts import yuan_to_fen
from smz.labor.services.retention import payroll_retain_until
from smz.labor.wages import DEFAULT_PAY_DAY, month_bounds, next_month_day
from smz.registry import scoping
from smz.registry.models import Employment, Enterprise, Project, Team

# ---- payroll (L2) ----------------------------------------------------------------------------------


def minimum_wage_on(day: dt.date) -> MinimumWage | None:
    return MinimumWage.objects.filter(valid_from__lte=day).order_by("-valid_from").first()


def employments_for_month(
    project: Project, employer: Enterprise, team: Team | None, month: dt.date
) -> Iterator[tuple[Employment, int, int]]:
    """An employer's labor on the project during a month, with days attended and minutes on site."""
    first, last = month_bounds(month)
    employments = Employment.objects.filter(
        project=project,
        employer=employer,
        work_role=Employment.Role.WORKER,
        entry_on__lte=last,
    ).filter(Q(exit_on__isnull=True) | Q(exit_on__gte=first))
    if team is not None:
        employments = employments.filter(team=team)
    attendance = {
        row["worker"]: row
        for row in DailyAttendance.objects.filter(
            project=project,
            worker__in=employments.values("worker"),
            work_date__range=(first, last),
            attended=True,
        )
        .values("worker")
        .annotate(days=Count("pk"), minutes=Sum("minutes"))
    }
    for employment in employments.select_related("worker"):
        seen: Mapping[str, Any] = attendance.get(employment.worker_id, {})
        yield employment, int(seen.get("days", 0)), int(seen.get("minutes") or 0)


def payroll_draft(
    *, actor: Any, project: Project, employer: Enterprise, team: Team | None, month: dt.date
) -> Payroll:
    """Draft a month's payroll for an employer (and team): everyone of its labor who attended that month,
    with days and hours from attendance and the rate from the contract in force (不含管理人员)."""
    if not scoping.can_maintain_roster(actor, project, employer.pk):
        raise Forbidden("无权为该企业编制工资表")
    if team is not None and (team.project_id != project.pk or team.enterprise_id != employer.pk):
        raise field_errors({"team": "班组不属于该企业或该项目"})
    first, last = month_bounds(month)
    if first > timezone.localdate():
        raise field_errors({"month": "不能编制未来月份的工资表"})
    try:
        with transaction.atomic():
            payroll = Payroll.objects.create(
                no=temporary_no(),
                project=project,
                employer=employer,
                team=team,
                month=first,
                pay_due_on=next_month_day(first, DEFAULT_PAY_DAY),
                created_by=actor,
            )
            dated_no(payroll, "GZ")
            lines, pay_days = [], []
            for employment, days, minutes in employments_for_month(project, employer, team, first):
                if days == 0:
                    continue  # not on site that month: nothing to pay, nothing to confirm
                contract = contract_in_force(employment.pk, last) or contract_in_force(
                    employment.pk, first
                )
                kind = contract.wage_kind if contract else WageKind.DAILY
                rate = contract.rate_fen if contract else 0
                if contract:
                    pay_days.append(contract.pay_day)
                gross = wages.gross_fen(kind=kind, rate_fen=rate, days=days, quantity=Decimal(0))
                lines.append(
                    PayrollLine(
                        payroll=payroll,
                        employment=employment,
                        worker=employment.worker,
                        contract=contract,
                        days_attended=days,
                        minutes_attended=minutes,
                        days_paid=days,
                        hours_paid=(Decimal(minutes) / 60).quantize(Decimal("0.1")),
                        wage_kind=kind,
                        rate_fen=rate,
                        gross_fen=gross,
                        net_fen=gross,
                    )
                )
            PayrollLine.objects.bulk_create(lines)
            if pay_days:
                payroll.pay_due_on = next_month_day(first, min(pay_days))
                payroll.save(update_fields=["pay_due_on"])
            event_record(
                actor=actor,
                kind=LaborEventKind.PAYROLL_DRAFTED,
                subject=payroll,
                data={"month": first.isoformat(), "lines": len(lines)},
            )
    except IntegrityError as exc:
        raise DomainError(
            LaborErrorCode.PAYROLL_EXISTS,
            "该企业（班组）本月的工资表已存在：已提交的请编制更正表",
            status=409,
        ) from exc
    return payroll


def _editable(actor: Any, payroll: Payroll) -> None:
    if not scoping.can_maintain_roster(actor, payroll.project, payroll.employer_id):
        raise Forbidden("无权修改该工资表")
    if payroll.locked:
        raise DomainError(
            LaborErrorCode.PAYROLL_LOCKED,
            "工资表已提交锁定，不能修改；如需更正请编制更正表",
            {"state": payroll.state},
            status=409,
        )


@dataclass
class LineInput:
    days_paid: int
    hours_paid: Decimal
    rate_yuan: str
    quantity: Decimal
    deductions_yuan: str
    deductions_note: str
    note: str
    # 应发 as the employer's own payroll system computed it (a docked Payroll.Add's totalPayAmount, 附件8);
    # empty: rate × days (or quantity). The checks at submit (minimum wage, contract rate) apply alike.
    gross_yuan: str = ""


def payroll_line_update(*, actor: Any, line: PayrollLine, data: LineInput) -> PayrollLine:
    """Edit one worker's figures on a draft; a confirmed line loses its confirmation (he confirms again)."""
    _editable(actor, line.payroll)  # early answer; checked again under the lock below
    errors = {}
    rate = yuan_to_fen(data.rate_yuan)
    deductions = yuan_to_fen(data.deductions_yuan or "0")
    stated = yuan_to_fen(data.gross_yuan) if data.gross_yuan else None
    if rate is None:
        errors["rate_yuan"] = "工资标准应为金额（元，最多两位小数）"
    if data.gross_yuan and stated is None:
        errors["gross_yuan"] = "应发工资应为金额（元，最多两位小数）"
    if deductions is None:
        errors["deductions_yuan"] = "代扣金额应为金额（元，最多两位小数）"
    if data.days_paid < 0 or data.days_paid > 31:
        errors["days_paid"] = "计薪天数应为0至31"
    if data.hours_paid < 0 or data.quantity < 0:
        errors["hours_paid"] = "工时和数量不能为负"
    if errors or rate is None or deductions is None:  # None only with an error recorded
        raise field_errors(errors)
    gross = (
        stated
        if stated is not None
        else wages.gross_fen(
            kind=line.wage_kind, rate_fen=rate, days=data.days_paid, quantity=data.quantity
        )
    )
    if deductions > gross:
        raise field_errors({"deductions_yuan": "代扣金额不能大于应发工资"})
    with transaction.atomic():
        # The payroll first, then its line: a submit in flight waits, or this edit sees it submitted.
        try:
            payroll = lock_row(Payroll, pk=line.payroll_id)
        except Payroll.DoesNotExist as exc:
            raise DomainError(LaborErrorCode.PAYROLL_NOT_FOUND, "工资表已删除", status=404) from exc
        _editable(actor, payroll)
        line.refresh_from_db()  # a payroll's lines are written only under the payroll's lock
        before = {
            "gross": line.gross_fen,
            "net": line.net_fen,
            "confirmed": bool(line.confirmed_at),
        }
        line.days_paid = data.days_paid
        line.hours_paid = data.hours_paid
        line.rate_fen = rate
        line.quantity = data.quantity
        line.gross_fen = gross
        line.deductions_fen = deductions
        line.deductions_note = data.deductions_note.strip()[:120]
        line.net_fen = gross - deductions
        line.note = data.note.strip()[:200]
        line.confirmed_at = None
        line.confirmed_via = ""
        line.save()
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYROLL_LINE_UPDATED,
            subject=payroll,
            data={"line": line.pk, "before": before, "gross": gross, "net": line.net_fen},
        )
    return line


@dataclass(frozen=True)
class Problem:
    """One thing blocking submission: `text` says what, about the line's worker when there is a line."""

    line: PayrollLine | None
    code: str
    text: str

    @property
    def message(self) -> str:
        """The full sentence, led by the worker's name for a line's problem."""
        return f"{self.line.worker.name}：{self.text}" if self.line else self.text


def payroll_problems(payroll: Payroll) -> list[Problem]:
    """What blocks submission (LCPtracker-style checks): pay below the minimum for the time worked, a rate
    unlike the contract's without a note, no contract, no bank card, more days paid than attended, and a
    line nobody confirmed (unless the workers' signed sheet is attached)."""
    problems: list[Problem] = []
    _, last = month_bounds(payroll.month)
    minimum = minimum_wage_on(last)
    lines = list(payroll.lines.select_related("worker", "contract"))
    if not lines:
        problems.append(Problem(None, LaborErrorCode.PAYROLL_EMPTY, "工资表没有任何人员"))
    elif payroll.corrects_id and not any(line.net_fen for line in lines):
        problems.append(
            Problem(None, LaborErrorCode.PAYROLL_EMPTY_CORRECTION, "更正表没有任何补发金额")
        )
    for line in lines:
        if line.contract is None and not payroll.corrects_id:
            problems.append(Problem(line, LaborErrorCode.PAYROLL_NO_CONTRACT, "没有劳动合同"))
        if not line.worker.bank_card:
            problems.append(Problem(line, LaborErrorCode.PAYROLL_NO_BANK_CARD, "未登记本人工资卡"))
        if line.days_paid > line.days_attended and not payroll.corrects_id:
            problems.append(
                Problem(
                    line,
                    LaborErrorCode.PAYROLL_DAYS_OVER_ATTENDED,
                    f"计薪天数 {line.days_paid} 天多于考勤天数 {line.days_attended} 天",
                )
            )
        if (
            line.contract
            and not line.note
            and (
                line.rate_fen != line.contract.rate_fen or line.wage_kind != line.contract.wage_kind
            )
        ):
            problems.append(
                Problem(
                    line,
                    LaborErrorCode.PAYROLL_RATE_DIFFERS,
                    "工资标准与劳动合同不一致，须填写说明",
                )
            )
        if minimum and not payroll.corrects_id and line.days_paid > 0:
            floor = wages.minimum_fen(
                monthly_fen=minimum.monthly_fen,
                hourly_fen=minimum.hourly_fen,
                days=line.days_paid,
                hours=line.hours_paid,
            )
            if line.gross_fen < floor:
                problems.append(
                    Problem(
                        line,
                        LaborErrorCode.PAYROLL_BELOW_MINIMUM,
                        f"应发 {line.gross_fen / 100:.2f} 元低于按工作时间计算的最低工资 "
                        f"{floor / 100:.2f} 元",
                    )
                )
        # A signed sheet confirms the lines it covered when uploaded; a line changed afterwards needs the
        # worker again. A zero line on a correction sheet pays nothing and needs no confirmation.
        if not line.confirmed_at and not (payroll.corrects_id and line.net_fen == 0):
            problems.append(
                Problem(
                    line, LaborErrorCode.PAYROLL_UNCONFIRMED, "工人尚未确认（或上传工人签字工资表）"
                )
            )
    return problems


def payroll_line_confirm(*, actor: Any, line: PayrollLine) -> PayrollLine:
    """The worker confirms his own line on his page, before the sheet is submitted."""
    if not (actor.is_authenticated and actor.worker_id == line.worker_id):
        raise Forbidden("只能确认本人的工资")
    with transaction.atomic():
        if lock_row(Payroll, pk=line.payroll_id).locked:
            raise DomainError(LaborErrorCode.PAYROLL_LOCKED, "工资表已提交，无需再确认", status=409)
        line.confirmed_at = timezone.now()
        line.confirmed_via = "online"
        line.save(update_fields=["confirmed_at", "confirmed_via"])
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYROLL_LINE_CONFIRMED,
            subject=line.payroll,
            data={"line": line.pk, "net": line.net_fen},
        )
    return line


def payroll_signed_sheet_attach(
    *, actor: Any, payroll: Payroll, data: bytes, filename: str
) -> None:
    """The printed sheet the workers signed: confirms every line not confirmed online."""
    _editable(actor, payroll)
    kind = upload_check(data, filename=filename)
    now = timezone.now()
    with transaction.atomic():
        _editable(actor, lock_row(Payroll, pk=payroll.pk))
        payroll.signed_sheet.save(f"signed{EXTENSIONS[kind]}", ContentFile(data), save=False)
        payroll.save(update_fields=["signed_sheet", "updated_at"])
        payroll.lines.filter(confirmed_at__isnull=True).update(
            confirmed_at=now, confirmed_via="signed_sheet"
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYROLL_SIGNED_SHEET_ATTACHED,
            subject=payroll,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )


def payroll_draft_delete(*, actor: Any, payroll: Payroll) -> None:
    """Throw a draft away (e.g. to draw it again after contracts were signed); submitted sheets stay."""
    with transaction.atomic():
        payroll = lock_row(Payroll, pk=payroll.pk)  # its state now, not as read
        _editable(actor, payroll)
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYROLL_DRAFT_DELETED,
            subject=payroll,
            data={"no": payroll.no, "month": payroll.month.isoformat()},
        )
        payroll.lines.all().delete()
        payroll.delete()


def payroll_submit(*, actor: Any, payroll: Payroll) -> Payroll:
    """Submit and lock; refused while any check fails (the problems are in the error's detail)."""
    with transaction.atomic():
        payroll = lock_row(Payroll, pk=payroll.pk)
        _editable(actor, payroll)
        if problems := payroll_problems(payroll):
            raise DomainError(
                LaborErrorCode.PAYROLL_INVALID,
                f"工资表有 {len(problems)} 处问题，须改正后提交",
                {
                    "problems": [
                        {
                            "line": p.line.pk if p.line else None,
                            "code": p.code,
                            "message": p.message,
                        }
                        for p in problems
                    ]
                },
            )
        payroll.state = Payroll.State.SUBMITTED
        payroll.submitted_at = timezone.now()
        payroll.submitted_by = actor
        # Kept until 3 years on and 2 years after completion; unknown (never purged) until completion.
        payroll.retain_until = payroll_retain_until(payroll, payroll.project.completed_on)
        payroll.save()
        totals = payroll.lines.aggregate(gross=Sum("gross_fen"), net=Sum("net_fen"), n=Count("pk"))
        event_record(
            actor=actor, kind=LaborEventKind.PAYROLL_SUBMITTED, subject=payroll, data=totals
        )
    return payroll


def payroll_review(*, actor: Any, payroll: Payroll) -> Payroll:
    """The general contractor's labor specialist reviews a subcontractor's (or its own) submitted sheet."""
    if not scoping.is_gc_of(actor, payroll.project):
        raise Forbidden("工资表由施工总承包单位审核")
    with transaction.atomic():
        payroll = lock_row(Payroll, pk=payroll.pk)
        if payroll.state != Payroll.State.SUBMITTED:
            raise DomainError(
                LaborErrorCode.PAYROLL_INVALID_STATE,
                f"工资表当前为「{payroll.get_state_display()}」，不能审核",
                status=409,
            )
        payroll.state = Payroll.State.REVIEWED
        payroll.reviewed_at = timezone.now()
        payroll.reviewed_by = actor
        payroll.save(update_fields=["state", "reviewed_at", "reviewed_by", "updated_at"])
        event_record(actor=actor, kind=LaborEventKind.PAYROLL_REVIEWED, subject=payroll)
    return payroll


def payroll_correction_create(*, actor: Any, payroll: Payroll) -> Payroll:
    """更正表 (补发): a submitted sheet never changes; extra pay for the same month goes on a correction sheet
    with the same people, amounts starting at zero."""
    if not scoping.can_maintain_roster(actor, payroll.project, payroll.employer_id):
        raise Forbidden("无权为该企业编制工资表")
    with transaction.atomic():
        payroll = lock_row(Payroll, pk=payroll.pk)  # its state now, not as the caller read it
        if not payroll.locked:
            raise DomainError(
                LaborErrorCode.PAYROLL_NOT_LOCKED, "工资表尚未提交，可直接修改", status=409
            )
        correction = Payroll.objects.create(
            no=temporary_no(),
            project=payroll.project,
            employer=payroll.employer,
            team=payroll.team,
            month=payroll.month,
            corrects=payroll,
            pay_due_on=max(payroll.pay_due_on, timezone.localdate()),
            created_by=actor,
        )
        dated_no(correction, "GZ")
        PayrollLine.objects.bulk_create(
            PayrollLine(
                payroll=correction,
                employment=line.employment,
                worker=line.worker,
                contract=line.contract,
                days_attended=line.days_attended,
                minutes_attended=line.minutes_attended,
                days_paid=0,
                hours_paid=Decimal(0),
                wage_kind=line.wage_kind,
                rate_fen=line.rate_fen,
                gross_fen=0,
                net_fen=0,
                note="更正补发",
            )
            for line in payroll.lines.all()
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYROLL_CORRECTION_CREATED,
            subject=correction,
            data={"corrects": payroll.pk},
        )
    return correction
