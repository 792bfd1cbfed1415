"""Exit (退场, L3; notice 三(五)): settle workload and wages with the worker, have him confirm the exit
confirmation (online, or sign/fingerprint the printed copy), then register the exit, which takes him off the
site's devices. Confirmed figures are immutable; what is still owed stays visible as an arrears alert."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from smz.attendance.models import DailyAttendance
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import EXTENSIONS, upload_check
from smz.devices.models import DeviceCommand
from smz.devices.selectors import gate_person_on
from smz.devices.services import zkteco_command_for_projects
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import ExitSettlement, Payroll, PayrollLine
from smz.registry import scoping
from smz.registry.models import Employment
from smz.registry.services import employment_exit

CONFIRMED_RETENTION_YEARS = 2  # notice 三(五): kept at least 2 years after completion acceptance


def _figures(employment: Employment, exit_on: dt.date) -> dict[str, Any]:
    """Attendance and wages of the stint, month by month: owed = net pay on submitted sheets, paid = what
    the bank confirmed; months with attendance but no submitted sheet are named."""
    attended = DailyAttendance.objects.filter(
        project=employment.project_id,
        worker=employment.worker_id,
        attended=True,
        work_date__range=(employment.entry_on, exit_on),
    )
    attendance_months = {
        m.strftime("%Y-%m")
        for m in attended.annotate(m=TruncMonth("work_date")).values_list("m", flat=True)
    }
    lines = (
        PayrollLine.objects.filter(employment=employment)
        .exclude(payroll__state=Payroll.State.DRAFT)
        .values("payroll__month")
        .annotate(owed=Sum("net_fen"), paid=Sum("paid_fen"))
        .order_by("payroll__month")
    )
    months = [[row["payroll__month"].strftime("%Y-%m"), row["owed"], row["paid"]] for row in lines]
    paid_months = {m for m, _, _ in months}
    owed = sum(m[1] for m in months)
    paid = sum(m[2] for m in months)
    return {
        "days_attended": attended.count(),
        "months": months,
        "unpaid_attendance_months": sorted(attendance_months - paid_months),
        "owed_fen": owed,
        "paid_fen": paid,
        "balance_fen": owed - paid,
    }


def exit_prepare(
    *, actor: Any, employment: Employment, exit_on: dt.date | None, workload: str
) -> ExitSettlement:
    """Draw up the exit confirmation from attendance and payroll (redrawn while the worker has not confirmed)."""
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该人员办理退场")
    errors = {}
    if exit_on is None:
        errors["exit_on"] = "请填写退场日期"
    elif exit_on < employment.entry_on:
        errors["exit_on"] = "退场日期不能早于进场日期"
    elif exit_on > timezone.localdate():
        errors["exit_on"] = "退场日期不能晚于今天"
    if not workload.strip():
        errors["workload"] = "请填写已完成的工作量"
    if errors or exit_on is None:
        raise field_errors(errors)
    figures = _figures(employment, exit_on)
    with transaction.atomic():
        existing = ExitSettlement.objects.select_for_update().filter(employment=employment).first()
        if existing is not None and existing.state != ExitSettlement.State.DRAFT:
            raise DomainError(
                LaborErrorCode.EXIT_CONFIRMED, "工人已确认退场确认书，内容不能再修改", status=409
            )
        values = {"exit_on": exit_on, "workload": workload.strip()[:200], **figures}
        if existing is None:
            try:
                settlement = ExitSettlement.objects.create(
                    no=temporary_no(),
                    employment=employment,
                    created_by=actor,
                    **values,
                )
            except IntegrityError as exc:  # a concurrent first draft
                raise DomainError(
                    LaborErrorCode.EXIT_EXISTS, "退场确认书已存在", status=409
                ) from exc
            dated_no(settlement, "TC")
        else:
            settlement = existing
            for key, value in values.items():
                setattr(settlement, key, value)
            settlement.save()
        event_record(
            actor=actor,
            kind=LaborEventKind.EXIT_PREPARED,
            subject=settlement,
            data={"balance_fen": settlement.balance_fen, "owed_fen": settlement.owed_fen},
        )
    return settlement


def _retain_until(settlement: ExitSettlement) -> dt.date | None:
    completed = settlement.employment.project.completed_on
    return completed.replace(year=completed.year + CONFIRMED_RETENTION_YEARS) if completed else None


def _confirm(actor: Any, settlement: ExitSettlement, via: str) -> ExitSettlement:
    settlement.state = ExitSettlement.State.CONFIRMED
    settlement.confirmed_at = timezone.now()
    settlement.confirmed_via = via
    settlement.retain_until = _retain_until(settlement)
    settlement.save(
        update_fields=["state", "confirmed_at", "confirmed_via", "retain_until", "updated_at"]
    )
    event_record(
        actor=actor,
        kind=LaborEventKind.EXIT_CONFIRMED,
        subject=settlement,
        data={"via": via, "balance_fen": settlement.balance_fen},
    )
    return settlement


def exit_confirm(*, actor: Any, settlement: ExitSettlement) -> ExitSettlement:
    """The worker confirms his own exit confirmation on his page."""
    if not (actor.is_authenticated and actor.worker_id == settlement.employment.worker_id):
        raise Forbidden("只能确认本人的退场确认书")
    with transaction.atomic():
        settlement = ExitSettlement.objects.select_for_update().get(pk=settlement.pk)
        if settlement.state != ExitSettlement.State.DRAFT:
            raise DomainError(LaborErrorCode.EXIT_CONFIRMED, "已确认", status=409)
        return _confirm(actor, settlement, "online")


def exit_signed_scan_attach(
    *, actor: Any, settlement: ExitSettlement, data: bytes, filename: str
) -> ExitSettlement:
    """The printed confirmation the worker signed or fingerprinted, scanned: confirms it."""
    e = settlement.employment
    if not scoping.can_maintain_roster(actor, e.project, e.employer_id):
        raise Forbidden("无权上传")
    kind = upload_check(data, filename=filename)
    with transaction.atomic():
        settlement = ExitSettlement.objects.select_for_update().get(pk=settlement.pk)
        if settlement.state != ExitSettlement.State.DRAFT:
            raise DomainError(
                LaborErrorCode.EXIT_CONFIRMED, "退场确认书已确认，不能替换", status=409
            )
        settlement.signed_scan.save(f"exit{EXTENSIONS[kind]}", ContentFile(data), save=False)
        settlement.save(update_fields=["signed_scan"])
        event_record(
            actor=actor,
            kind=LaborEventKind.EXIT_SCAN_ATTACHED,
            subject=settlement,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )
        return _confirm(actor, settlement, "signed_scan")


def exit_register(*, actor: Any, settlement: ExitSettlement) -> ExitSettlement:
    """退场登记: only after the worker confirmed; the employment ends and the site's devices drop him."""
    with transaction.atomic():
        settlement = (
            ExitSettlement.objects.select_for_update()
            .select_related("employment__project")
            .get(pk=settlement.pk)
        )
        if settlement.state != ExitSettlement.State.CONFIRMED:
            raise DomainError(
                LaborErrorCode.EXIT_NOT_CONFIRMED,
                "退场确认书须经工人本人确认（在线或签字按手印扫描件）后才能办理退场登记",
                status=409,
            )
        employment = employment_exit(
            actor=actor, employment=settlement.employment, exit_on=settlement.exit_on
        )
        ExitSettlement.objects.filter(pk=settlement.pk).update(
            state=ExitSettlement.State.REGISTERED, updated_at=timezone.now()
        )
        settlement.state = ExitSettlement.State.REGISTERED
        _remove_from_devices(actor, employment)
    return settlement


def _remove_from_devices(actor: Any, employment: Employment) -> None:
    """Device-direct terminals see the exit as a deletion in their next people download; ZKTeco terminals
    are told to delete the person, unless the gate roster still has him (another employment admits him);
    the deletion is checked again when it is sent (a re-hired person gets his upsert instead)."""
    if gate_person_on(project_id=employment.project_id, worker_id=employment.worker_id):
        return
    zkteco_command_for_projects(
        actor=actor,
        projects=[employment.project_id],
        kind=DeviceCommand.Kind.REMOVE_PERSON,
        payload={"person_id": employment.worker_id},
    )
