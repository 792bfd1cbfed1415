"""Approvals test helpers: a minimal PDF scan, a fresh construction permit, a request filed with its scans."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smz.approvals import services, workflows


def today() -> dt.date:
    """The city's today, read when a test runs."""
    return timezone.localdate()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def fresh_permit(project, *, issued_days_ago=30, start_in_days=10):
    project.permit_issued_on = today() - dt.timedelta(days=issued_days_ago)
    project.planned_start = today() + dt.timedelta(days=start_in_days)
    project.actual_start = None
    project.save()
    return project


def request_filed(world, kind, *, project="p1", date=None, who="gc_labor", reason="现场条件变化"):
    """A request with its required scans uploaded, ready to submit."""
    user = world.user(who)
    r = services.request_create(
        actor=user,
        project=world.projects[project],
        kind=kind,
        requested_date=date,
        reason=reason,
    )
    for k in workflows.REQUIRED_ATTACHMENTS[kind]:
        services.attachment_add(actor=user, request=r, kind=k, data=PDF, filename=f"{k}.pdf")
    return r
