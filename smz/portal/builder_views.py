"""The builder's pages (建设单位, P2, C6): declare or confirm the planned start of its own project."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.core.errors import DomainError
from smz.registry import selectors
from smz.registry.declarations import (
    planned_start_declare,
    require_builder_of,
    start_declarations,
)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


@login_required
def planned_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the declarations so far and the form; POST: declare (or confirm the recorded date)."""
    project = selectors.project_get_for(request.user, pk)
    require_builder_of(request.user, project)
    if request.method == "POST":
        try:
            planned_start_declare(
                actor=request.user,
                project=project,
                planned_start=_date(request.POST.get("planned_start", "")),
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            reasons = "；".join(dict.fromkeys(exc.detail.get("fields", {}).values()))
            messages.error(request, exc.message + (f"：{reasons}" if reasons else ""))
            return redirect("portal:planned_start", project.pk)
        messages.success(request, "已申报拟开工日期")
        return redirect("portal:project_detail", project.pk)
    return render(
        request,
        "portal/planned_start.html",
        {"project": project, "declarations": start_declarations(project)[:20]},
    )
