"""Writes for contracts and wages (L1, L2; 保障农民工工资支付条例 Art.15, 26, 28, 31).

Payroll life: draft (from attendance and contracts) → edited by the employer's labor specialist → each worker
confirms his line (online, or the signed sheet's scan) → submitted: locked, checked by `payroll_problems`
→ reviewed by the general contractor → exported in a bank file through the special account → the bank's
result file marks each line paid or failed; failed lines go back to be fixed and are paid in a later batch.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from smz.attendance.models import DailyAttendance
from smz.core import money, scoping
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import EXTENSIONS, upload_check
from smz.labor import wages
from smz.labor.models import (
    LaborContract,
    MinimumWage,
    PaymentBatch,
    PaymentLine,
    Payroll,
    PayrollLine,
    WageAccount,
    WageKind,
)
from smz.registry.models import Employment, Enterprise, Project, Team

PIECE_UNITS = {"80": "米", "81": "平方米", "82": "立方米"}
DEFAULT_PAY_DAY = 15


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _next_month_day(month: dt.date, day: int) -> dt.date:
    _, last = month_bounds(month)
    nxt = last + dt.timedelta(days=1)
    return nxt.replace(day=min(day, calendar.monthrange(nxt.year, nxt.month)[1]))


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# ---- contracts (L1) --------------------------------------------------------------------------------


@dataclass
class ContractInput:
    period_type: str
    start_on: dt.date | None
    end_on: dt.date | None
    task_description: str
    wage_kind: str
    rate_yuan: str
    piece_unit: str
    pay_day: int | None


def yuan_to_fen(value: str) -> int | None:
    """A yuan amount typed by a person ("280", "1,280.50") → fen; None when it is not one."""
    try:
        return money.parse_yuan(value)
    except (ValueError, AttributeError):
        return None


def contract_errors(data: ContractInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.period_type not in LaborContract.PeriodType.values:
        errors["period_type"] = "请选择合同期限类型"
    if data.start_on is None:
        errors["start_on"] = "请填写开始日期"
    if data.period_type == LaborContract.PeriodType.FIXED:
        if data.end_on is None:
            errors["end_on"] = "固定期限合同须填写终止日期"
        elif data.start_on and data.end_on < data.start_on:
            errors["end_on"] = "终止日期不能早于开始日期"
    if data.period_type == LaborContract.PeriodType.TASK and not data.task_description.strip():
        errors["task_description"] = "以完成一定工作任务为期限的合同须写明工作任务"
    if data.wage_kind not in WageKind.values:
        errors["wage_kind"] = "请选择工资形式"
    rate = yuan_to_fen(data.rate_yuan)
    if not rate:
        errors["rate_yuan"] = "工资标准应为大于0的金额（元，最多两位小数）"
    if data.wage_kind == WageKind.PIECE and data.piece_unit not in PIECE_UNITS:
        errors["piece_unit"] = "计件工资须选择计量单位"
    if data.pay_day is None or not 1 <= data.pay_day <= 31:
        errors["pay_day"] = "工资支付日应为1至31"
    return errors


def contract_create(*, actor: Any, employment: Employment, data: ContractInput) -> LaborContract:
    """Sign a contract for a person on a project with his employer; a new one ends the previous one."""
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该企业的人员签订劳动合同")
    if errors := contract_errors(data):
        raise field_errors(errors)
    with transaction.atomic():
        Employment.objects.select_for_update().filter(pk=employment.pk).first()
        previous = LaborContract.objects.filter(
            employment=employment, status=LaborContract.Status.ACTIVE
        ).first()
        if previous is not None:
            previous.status = LaborContract.Status.ENDED
            previous.save(update_fields=["status", "updated_at"])
        contract = LaborContract.objects.create(
            no=temporary_no(),
            employment=employment,
            period_type=data.period_type,
            start_on=data.start_on,
            end_on=data.end_on if data.period_type == LaborContract.PeriodType.FIXED else None,
            task_description=data.task_description.strip()[:200],
            wage_kind=data.wage_kind,
            rate_fen=yuan_to_fen(data.rate_yuan),
            piece_unit=data.piece_unit if data.wage_kind == WageKind.PIECE else "",
            pay_day=data.pay_day,
            created_by=_actor(actor),
        )
        dated_no(contract, "HT")
        event_record(
            actor=actor,
            kind="contract.signed",
            subject=contract,
            data={"employment": employment.pk, "replaces": previous.pk if previous else None},
        )
    return contract


def contract_scan_attach(
    *, actor: Any, contract: LaborContract, data: bytes, filename: str
) -> None:
    """The signed contract's scan (PDF/JPEG/PNG by content)."""
    employment = contract.employment
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权上传该合同")
    kind = upload_check(data, filename=filename)
    with transaction.atomic():
        contract.signed_scan.save(f"signed{EXTENSIONS[kind]}", ContentFile(data), save=False)
        contract.signed_uploaded_at = timezone.now()
        contract.save(update_fields=["signed_scan", "signed_uploaded_at", "updated_at"])
        event_record(
            actor=actor,
            kind="contract.scan_attached",
            subject=contract,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )


def contract_in_force(employment_id: int, day: dt.date) -> LaborContract | None:
    """The contract that governs a day: active, started, not past its end."""
    return (
        LaborContract.objects.filter(employment=employment_id, start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .order_by("-start_on", "-pk")
        .first()
    )


# ---- the special account ---------------------------------------------------------------------------


def wage_account_set(
    *,
    actor: Any,
    project: Project,
    bank_code: str,
    bank_name: str,
    account_name: str,
    account_no: str,
    opened_on: dt.date | None,
) -> WageAccount:
    """工资专用账户 (条例 Art.26): the general contractor records the project's account."""
    if not scoping.is_gc_of(actor, project):
        raise Forbidden("工资专用账户由施工总承包单位登记")
    account_no = account_no.replace(" ", "")
    errors = {}
    if not (account_no.isdigit() and 8 <= len(account_no) <= 32):
        errors["account_no"] = "账号应为8至32位数字"
    if not (bank_code.isdigit() and len(bank_code) == 3):
        errors["bank_code"] = "银行代码应为3位数字"
    if not bank_name.strip() or not account_name.strip():
        errors["bank_name"] = "请填写开户行和账户名称"
    if opened_on is None:
        errors["opened_on"] = "请填写开户日期"
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        account, created = WageAccount.objects.update_or_create(
            project=project,
            defaults={
                "bank_code": bank_code,
                "bank_name": bank_name.strip()[:60],
                "account_name": account_name.strip()[:80],
                "account_no": account_no,
                "opened_on": opened_on,
            },
        )
        event_record(
            actor=actor,
            kind="wage_account.set",
            subject=account,
            data={"created": created, "bank_code": bank_code},
        )
    return account


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
        seen = attendance.get(employment.worker_id, {})
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
                pay_due_on=_next_month_day(first, DEFAULT_PAY_DAY),
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
                payroll.pay_due_on = _next_month_day(first, min(pay_days))
                payroll.save(update_fields=["pay_due_on"])
            event_record(
                actor=actor,
                kind="payroll.drafted",
                subject=payroll,
                data={"month": first.isoformat(), "lines": len(lines)},
            )
    except IntegrityError as exc:
        raise DomainError(
            "payroll.exists",
            "该企业（班组）本月的工资表已存在：已提交的请编制更正表",
            status=409,
        ) from exc
    return payroll


def _editable(actor: Any, payroll: Payroll) -> None:
    if not scoping.can_maintain_roster(actor, payroll.project, payroll.employer_id):
        raise Forbidden("无权修改该工资表")
    if payroll.locked:
        raise DomainError(
            "payroll.locked",
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


def payroll_line_update(*, actor: Any, line: PayrollLine, data: LineInput) -> PayrollLine:
    """Edit one worker's figures on a draft; a confirmed line loses its confirmation (he confirms again)."""
    payroll = line.payroll
    _editable(actor, payroll)
    errors = {}
    rate = yuan_to_fen(data.rate_yuan)
    deductions = yuan_to_fen(data.deductions_yuan or "0")
    if rate is None:
        errors["rate_yuan"] = "工资标准应为金额（元，最多两位小数）"
    if deductions is None:
        errors["deductions_yuan"] = "代扣金额应为金额（元，最多两位小数）"
    if data.days_paid < 0 or data.days_paid > 31:
        errors["days_paid"] = "计薪天数应为0至31"
    if data.hours_paid < 0 or data.quantity < 0:
        errors["hours_paid"] = "工时和数量不能为负"
    if errors:
        raise field_errors(errors)
    gross = wages.gross_fen(
        kind=line.wage_kind, rate_fen=rate, days=data.days_paid, quantity=data.quantity
    )
    if deductions > gross:
        raise field_errors({"deductions_yuan": "代扣金额不能大于应发工资"})
    with transaction.atomic():
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
            kind="payroll.line_updated",
            subject=payroll,
            data={"line": line.pk, "before": before, "gross": gross, "net": line.net_fen},
        )
    return line


@dataclass(frozen=True)
class Problem:
    line: PayrollLine | None
    code: str
    message: str


def payroll_problems(payroll: Payroll) -> list[Problem]:
    """What blocks submission (LCPtracker-style checks): pay below the minimum for the time worked, a rate
    unlike the contract's without a note, no contract, no bank card, more days paid than attended, and a
    line nobody confirmed (unless the workers' signed sheet is attached)."""
    problems: list[Problem] = []
    _, last = month_bounds(payroll.month)
    minimum = minimum_wage_on(last)
    lines = list(payroll.lines.select_related("worker", "contract"))
    if not lines:
        problems.append(Problem(None, "payroll.empty", "工资表没有任何人员"))
    elif payroll.corrects_id and not any(line.net_fen for line in lines):
        problems.append(Problem(None, "payroll.empty_correction", "更正表没有任何补发金额"))
    for line in lines:
        name = line.worker.name
        if line.contract is None and not payroll.corrects_id:
            problems.append(Problem(line, "payroll.no_contract", f"{name}：没有劳动合同"))
        if not line.worker.bank_card:
            problems.append(Problem(line, "payroll.no_bank_card", f"{name}：未登记本人工资卡"))
        if line.days_paid > line.days_attended and not payroll.corrects_id:
            problems.append(
                Problem(
                    line,
                    "payroll.days_over_attended",
                    f"{name}：计薪天数 {line.days_paid} 天多于考勤天数 {line.days_attended} 天",
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
                    line, "payroll.rate_differs", f"{name}：工资标准与劳动合同不一致，须填写说明"
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
                        "payroll.below_minimum",
                        f"{name}：应发 {line.gross_fen / 100:.2f} 元低于按工作时间计算的最低工资 "
                        f"{floor / 100:.2f} 元",
                    )
                )
        # A signed sheet confirms the lines it covered when uploaded; a line changed afterwards needs the
        # worker again. A zero line on a correction sheet pays nothing and needs no confirmation.
        if not line.confirmed_at and not (payroll.corrects_id and line.net_fen == 0):
            problems.append(
                Problem(
                    line, "payroll.unconfirmed", f"{name}：工人尚未确认（或上传工人签字工资表）"
                )
            )
    return problems


def payroll_line_confirm(*, actor: Any, line: PayrollLine) -> PayrollLine:
    """The worker confirms his own line on his page, before the sheet is submitted."""
    if not (actor.is_authenticated and actor.worker_id == line.worker_id):
        raise Forbidden("只能确认本人的工资")
    with transaction.atomic():
        if Payroll.objects.select_for_update().get(pk=line.payroll_id).locked:
            raise DomainError("payroll.locked", "工资表已提交，无需再确认", status=409)
        line.confirmed_at = timezone.now()
        line.confirmed_via = "online"
        line.save(update_fields=["confirmed_at", "confirmed_via"])
        event_record(
            actor=actor,
            kind="payroll.line_confirmed",
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
        _editable(actor, Payroll.objects.select_for_update().get(pk=payroll.pk))
        payroll.signed_sheet.save(f"signed{EXTENSIONS[kind]}", ContentFile(data), save=False)
        payroll.save(update_fields=["signed_sheet", "updated_at"])
        payroll.lines.filter(confirmed_at__isnull=True).update(
            confirmed_at=now, confirmed_via="signed_sheet"
        )
        event_record(
            actor=actor,
            kind="payroll.signed_sheet_attached",
            subject=payroll,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )


def payroll_draft_delete(*, actor: Any, payroll: Payroll) -> None:
    """Throw a draft away (e.g. to draw it again after contracts were signed); submitted sheets stay."""
    with transaction.atomic():
        payroll = Payroll.objects.select_for_update().get(
            pk=payroll.pk
        )  # its state now, not as read
        _editable(actor, payroll)
        event_record(
            actor=actor,
            kind="payroll.draft_deleted",
            subject=payroll,
            data={"no": payroll.no, "month": payroll.month.isoformat()},
        )
        payroll.lines.all().delete()
        payroll.delete()


def payroll_submit(*, actor: Any, payroll: Payroll) -> Payroll:
    """Submit and lock; refused while any check fails (the problems are in the error's detail)."""
    with transaction.atomic():
        payroll = Payroll.objects.select_for_update().get(pk=payroll.pk)
        _editable(actor, payroll)
        if problems := payroll_problems(payroll):
            raise DomainError(
                "payroll.invalid",
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
        from smz.labor.retention import payroll_retain_until

        payroll.state = Payroll.State.SUBMITTED
        payroll.submitted_at = timezone.now()
        payroll.submitted_by = actor
        # Kept until 3 years on and 2 years after completion; unknown (never purged) until completion.
        payroll.retain_until = payroll_retain_until(payroll, payroll.project.completed_on)
        payroll.save()
        totals = payroll.lines.aggregate(gross=Sum("gross_fen"), net=Sum("net_fen"), n=Count("pk"))
        event_record(actor=actor, kind="payroll.submitted", subject=payroll, data=totals)
    return payroll


def payroll_review(*, actor: Any, payroll: Payroll) -> Payroll:
    """The general contractor's labor specialist reviews a subcontractor's (or its own) submitted sheet."""
    if not scoping.is_gc_of(actor, payroll.project):
        raise Forbidden("工资表由施工总承包单位审核")
    with transaction.atomic():
        payroll = Payroll.objects.select_for_update().get(pk=payroll.pk)
        if payroll.state != Payroll.State.SUBMITTED:
            raise DomainError(
                "payroll.invalid_state",
                f"工资表当前为「{payroll.get_state_display()}」，不能审核",
                status=409,
            )
        payroll.state = Payroll.State.REVIEWED
        payroll.reviewed_at = timezone.now()
        payroll.reviewed_by = actor
        payroll.save(update_fields=["state", "reviewed_at", "reviewed_by", "updated_at"])
        event_record(actor=actor, kind="payroll.reviewed", subject=payroll)
    return payroll


def payroll_correction_create(*, actor: Any, payroll: Payroll) -> Payroll:
    """更正表 (补发): a submitted sheet never changes; extra pay for the same month goes on a correction sheet
    with the same people, amounts starting at zero."""
    if not scoping.can_maintain_roster(actor, payroll.project, payroll.employer_id):
        raise Forbidden("无权为该企业编制工资表")
    if not payroll.locked:
        raise DomainError("payroll.not_locked", "工资表尚未提交，可直接修改", status=409)
    with transaction.atomic():
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
            kind="payroll.correction_created",
            subject=correction,
            data={"corrects": payroll.pk},
        )
    return correction


# ---- paying through the special account (总包代发) --------------------------------------------------


def payable_lines(project: Project):
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


def payment_batch_export(*, actor: Any, project: Project) -> PaymentBatch:
    """Put every payable line into one batch for the bank (the file is rendered from the batch)."""
    if not scoping.is_gc_of(actor, project):
        raise Forbidden("代发由施工总承包单位办理")
    if not WageAccount.objects.filter(project=project).exists():
        raise DomainError("payment.no_account", "项目尚未登记工资专用账户")
    with transaction.atomic():
        lines = list(payable_lines(project).select_for_update(of=("self",)))
        if not lines:
            raise DomainError("payment.nothing", "没有待发放的工资（须为总包已审核的工资表）")
        missing = [line.worker.name for line in lines if not line.worker.bank_card]
        if missing:
            raise DomainError(
                "payment.no_bank_card",
                "以下人员未登记工资卡，不能代发：" + "、".join(missing[:10]),
                {"workers": missing},
            )
        batch = PaymentBatch.objects.create(
            no=temporary_no(),
            project=project,
            total_fen=sum(line.net_fen - line.paid_fen for line in lines),
            line_count=len(lines),
            exported_by=actor,
        )
        dated_no(batch, "DF")
        PaymentLine.objects.bulk_create(
            PaymentLine(
                batch=batch,
                payroll_line=line,
                line_ref=f"{batch.no}-{i:04d}",
                amount_fen=line.net_fen - line.paid_fen,
            )
            for i, line in enumerate(lines, start=1)
        )
        PayrollLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            pay_status=PayrollLine.PayStatus.SENT, fail_reason=""
        )
        Payroll.objects.filter(pk__in={line.payroll_id for line in lines}).update(
            state=Payroll.State.PAYING
        )
        event_record(
            actor=actor,
            kind="payment.exported",
            subject=batch,
            data={"lines": len(lines), "total_fen": batch.total_fen},
        )
    return batch


@dataclass(frozen=True)
class ImportOutcome:
    paid: int
    failed: int
    unchanged: int
    errors: list[tuple[int, str, str]]


def payment_result_import(
    *, actor: Any, batch: PaymentBatch, rows: list[Any], parse_errors: list[tuple[int, str, str]]
) -> ImportOutcome:
    """Apply the bank's per-line results (bankfile.result_file_parse rows). A repeat of the same result
    changes nothing; a result that contradicts an earlier one, an unknown reference or a wrong amount is
    reported and skipped — the valid lines still apply."""
    if not scoping.is_gc_of(actor, batch.project):
        raise Forbidden("代发结果由施工总承包单位导入")
    errors = list(parse_errors)
    paid = failed = unchanged = 0
    with transaction.atomic():
        by_ref = {
            p.line_ref: p
            for p in PaymentLine.objects.select_for_update()
            .filter(batch=batch)
            .select_related("payroll_line")
        }
        for n, row in enumerate(rows, start=1):
            payment = by_ref.get(row.line_ref)
            if payment is None:
                errors.append((n, "line_ref", f"明细编号 {row.line_ref} 不属于批次 {batch.no}"))
                continue
            if payment.status != "sent":
                if payment.status == row.status:
                    unchanged += 1
                else:
                    errors.append(
                        (n, "status", f"{row.line_ref} 已记为「{payment.status}」，与本次结果矛盾")
                    )
                continue
            if (
                row.status == "paid"
                and row.amount_fen is not None
                and row.amount_fen != payment.amount_fen
            ):
                errors.append((n, "amount", f"{row.line_ref} 金额与代发金额不符"))
                continue
            line = payment.payroll_line
            payment.status = row.status
            payment.bank_serial = row.bank_serial[:64]
            payment.reason = row.reason[:120]
            payment.settled_on = row.paid_on or timezone.localdate()
            payment.save(update_fields=["status", "bank_serial", "reason", "settled_on"])
            if row.status == "paid":
                line.paid_fen += payment.amount_fen
                line.pay_status = PayrollLine.PayStatus.PAID
                line.paid_on = payment.settled_on
                line.bank_serial = payment.bank_serial
                line.fail_reason = ""
                paid += 1
            else:
                line.pay_status = PayrollLine.PayStatus.FAILED
                line.fail_reason = payment.reason or "银行退回"
                failed += 1
            line.save(
                update_fields=["paid_fen", "pay_status", "paid_on", "bank_serial", "fail_reason"]
            )
        for payroll in Payroll.objects.filter(lines__payments__batch=batch).distinct():
            statuses = set(payroll.lines.filter(net_fen__gt=0).values_list("pay_status", flat=True))
            if statuses <= {PayrollLine.PayStatus.PAID}:
                payroll.state = Payroll.State.PAID
            elif PayrollLine.PayStatus.FAILED in statuses:
                payroll.state = Payroll.State.PARTLY_PAID
            else:
                payroll.state = Payroll.State.PAYING
            payroll.save(update_fields=["state", "updated_at"])
        if not batch.lines.filter(status="sent").exists():
            batch.state = PaymentBatch.State.SETTLED
        batch.result_imported_at = timezone.now()
        batch.save(update_fields=["state", "result_imported_at", "updated_at"])
        event_record(
            actor=actor,
            kind="payment.result_imported",
            subject=batch,
            data={"paid": paid, "failed": failed, "unchanged": unchanged, "errors": len(errors)},
        )
    return ImportOutcome(paid=paid, failed=failed, unchanged=unchanged, errors=errors)


def payment_receipt_attach(*, actor: Any, batch: PaymentBatch, data: bytes, filename: str) -> None:
    """The bank's receipt (回单) for the batch: the payment proof the notice asks for (A1, L2)."""
    if not scoping.is_gc_of(actor, batch.project):
        raise Forbidden("代发回单由施工总承包单位上传")
    kind = upload_check(data, filename=filename)
    with transaction.atomic():
        batch.receipt.save(f"receipt{EXTENSIONS[kind]}", ContentFile(data), save=False)
        batch.save(update_fields=["receipt", "updated_at"])
        event_record(
            actor=actor,
            kind="payment.receipt_attached",
            subject=batch,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )
