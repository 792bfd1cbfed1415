"""Labor's scoping on top of the registry's (smz.registry.scoping): payrolls, payroll lines,
contracts."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from smz.accounts.models import Role
from smz.labor.models import (
    LaborContract,
    Payroll,
    PayrollLine,
)
from smz.registry import scoping


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
