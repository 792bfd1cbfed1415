"""维权投诉 (complaints): who sees and who may handle a complaint."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from smz.accounts.models import Role
from smz.labor.models import (
    Complaint,
)
from smz.registry import scoping

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
