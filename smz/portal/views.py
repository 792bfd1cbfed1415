"""Portal pages (Django templates + htmx): the home page and the projects, which compose several apps. Views
parse, call selectors/services, render: no ORM writes here. The people and roster pages are the registry's
(smz/registry/views.py), account administration is the accounts' (smz/accounts/views.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals.selectors import approval_counts_for
from smz.approvals.views import project_workflows
from smz.attendance import selectors as attendance_selectors
from smz.core.paging import KeysFirstPaginator
from smz.core.timeutil import business_date
from smz.docking.selectors.apps import project_docking_state
from smz.portal.dashboard import dashboard_for
from smz.registry import selectors
from smz.registry.codes import code_table
from smz.registry.models import Employment, Project
from smz.registry.scoping import is_authority, is_enterprise_user
from smz.video.selectors import project_video_summary


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


def _page(request: HttpRequest, qs, per_page: int = 30):
    return KeysFirstPaginator(qs, per_page).get_page(request.GET.get("page"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.WORKER:
        return redirect("portal:worker_detail", pk=user.worker_id)
    context = {
        "counts": selectors.home_counts_for(user),
        "recent_projects": selectors.home_projects_for(user),
        "approvals": approval_counts_for(user),
        "board": dashboard_for(user),
    }
    return render(request, "portal/home.html", context)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "q": request.GET.get("q", "").strip(),
        "jurisdiction": request.GET.get("jurisdiction", ""),
        "status": request.GET.get("status", ""),
        "kind": request.GET.get("kind", ""),
    }
    scope = request.GET.get("in_scope", "")
    in_scope = {"1": True, "0": False}.get(scope)
    page = _page(request, selectors.project_list_for(request.user, **filters, in_scope=in_scope))
    context = {
        "page": page,
        "filters": filters | {"in_scope": scope},
        "jurisdictions": selectors.jurisdictions(),
        "statuses": Project.Status.choices,
        "kinds": Project.Kind.choices,
    }
    template = "portal/_project_rows.html" if request.htmx else "portal/projects.html"
    return render(request, template, context)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for(request.user, pk)
    employments = selectors.employment_list_for(
        request.user,
        project=project.pk,
        status=request.GET.get("status", Employment.Status.ACTIVE),
        q=request.GET.get("q", "").strip(),
    )
    context = {
        "project": project,
        "participants": selectors.participant_list(project),
        "teams": selectors.team_list_for(request.user, project=project.pk),
        "today": attendance_selectors.project_today_for(request.user, project),
        "page": _page(request, employments, 50),
        "corp_types": code_table("corp_type"),
        "work_types": code_table("work_type"),
        "key_post_names": code_table("key_post"),
        "wf": project_workflows(request.user, project),
        # 平台对接 state (issue 14 item 1): staff of the authorities and the participants, not the worker.
        "docking": project_docking_state(project) if request.user.role != Role.WORKER else None,
        # 出入口与视频监控 (V1, issue 16): staff only, like the cameras themselves.
        "video": _video_summary(request.user, project),
    }
    return render(request, "portal/project_detail.html", context)


def _video_summary(user: Any, project: Project) -> dict | None:
    if not (is_authority(user) or is_enterprise_user(user)):
        return None
    now = timezone.now()
    return project_video_summary([project.pk], business_date(now), now)[project.pk]
