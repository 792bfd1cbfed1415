"""Payrolls, their lines, the special account and bank payment batches, each read through the labor
scopes."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from smz.core.errors import NotFound
from smz.labor.models import (
    PaymentBatch,
    PaymentLine,
    Payroll,
    PayrollLine,
    WageAccount,
)
from smz.labor.selectors.scopes import payrolls_for
from smz.registry import scoping
from smz.registry.models import (
    Project,
)


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


def batch_lines_of(batch: PaymentBatch) -> QuerySet[PaymentLine]:
    """A batch's transfers (of a batch the caller got through batch_get_for) with payee and sheet."""
    return batch.lines.select_related("payroll_line__worker", "payroll_line__payroll")
