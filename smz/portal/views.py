"""Portal pages (Django templates + htmx). Views parse, call selectors/services, render: no ORM writes here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from smz.accounts import selectors as account_selectors
from smz.accounts import services as account_services
from smz.accounts.models import Role
from smz.approvals.selectors import approval_counts_for
from smz.approvals.views import project_workflows
from smz.attendance import selectors as attendance_selectors
from smz.core.errors import DomainError
from smz.core.events import pii_access_record
from smz.core.files import user_file_headers
from smz.core.pii import FIELD_LABELS, mask_id_number, may_unmask, pii_reveal
from smz.portal.dashboard import dashboard_for
from smz.registry import selectors
from smz.registry.codes import code_table
from smz.registry.identity import id_number_index
from smz.registry.models import Employment, Project
from smz.registry.services import (
    CONTACT_FIELDS,
    worker_contact_change,
    worker_may_edit,
)


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


def _page(request: HttpRequest, qs, per_page: int = 30):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


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
    }
    return render(request, "portal/project_detail.html", context)


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.WORKER:
        raise Http404
    q = request.GET.get("q", "").strip()
    # The exact search by ID number is POSTed (never in the URL, so never in an access log: N2).
    id_number = (
        request.POST.get("id_number", "").strip().upper() if request.method == "POST" else ""
    )
    qs = selectors.employment_list_for(
        request.user,
        q=q,
        status=request.GET.get("status", ""),
        id_number_index=id_number_index("01", id_number) if id_number else "",
    )
    context = {
        "page": _page(request, qs, 50),
        "q": q,
        "id_searched": mask_id_number(id_number),
        "work_types": code_table("work_type"),
    }
    return render(request, "portal/workers.html", context)


@login_required
def worker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    worker = selectors.worker_get_for(request.user, pk)
    context = {
        "worker": worker,
        "employments": selectors.employment_list_for(request.user, worker=worker),
        "nation": code_table("nation").get(worker.nation, ""),
        "culture": code_table("culture_level").get(worker.culture_level, ""),
        "id_types": code_table("id_card_type"),
        "work_types": code_table("work_type"),
        "revealable": [f for f in FIELD_LABELS if may_unmask(request.user, f)],
        "may_edit": worker_may_edit(request.user, worker),
        "changes": selectors.worker_change_log(worker=worker),
    }
    return render(request, "portal/worker_detail.html", context)


@login_required
@require_POST
@sensitive_post_parameters("phone", "bank_card")
def worker_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """手机号码/工资卡变更 by the person's employer: a reason and the evidence kept on file are required."""
    worker = selectors.worker_get_for(request.user, pk)
    changes = {f: request.POST.get(f, "").strip() for f in CONTACT_FIELDS}
    try:
        changed = worker_contact_change(
            actor=request.user,
            worker=worker,
            changes={f: v for f, v in changes.items() if v},
            reason=request.POST.get("change_reason", ""),
            evidence_ref=request.POST.get("evidence_ref", ""),
        )
    except DomainError as exc:
        reasons = "；".join(dict.fromkeys(exc.detail.get("fields", {}).values()))
        messages.error(request, exc.message + (f"：{reasons}" if reasons else ""))
    else:
        if changed:
            messages.success(request, "已变更，已记入该工人的资料变更记录并短信告知原手机号码")
        else:
            messages.info(request, "没有需要变更的内容")
    return redirect("portal:worker_detail", worker.pk)


@login_required
@require_POST
def worker_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """htmx: swap a masked value for the full one, for roles that may see it (audited)."""
    worker = selectors.worker_get_for(request.user, pk)
    try:
        value = pii_reveal(user=request.user, worker=worker, field=field, purpose="门户查看")
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status)
    return render(request, "portal/_revealed.html", {"value": value, "field": field})


@login_required
def worker_photo(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """Card or face photo, only to users who may see the person; every view is audited."""
    if kind not in {"face", "card"}:
        raise Http404
    worker = selectors.worker_get_for(request.user, pk)
    photo = worker.face_photo if kind == "face" else worker.card_photo
    if not photo:
        raise Http404
    pii_access_record(
        actor=request.user, subject=worker, field=f"{kind}_photo", purpose="门户查看照片"
    )
    response = FileResponse(photo.open("rb"), content_type="image/jpeg")
    return user_file_headers(response)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    users = account_selectors.user_list_for(
        request.user, q=request.GET.get("q", "").strip(), role=request.GET.get("role", "")
    )
    if not (
        request.user.is_superuser or request.user.role in {Role.CITY_ADMIN, Role.ENTERPRISE_ADMIN}
    ):
        raise Http404
    page = _page(request, users, 50)
    locked = account_selectors.locked_usernames([u.username for u in page])
    return render(
        request,
        "portal/accounts.html",
        {"page": page, "locked": locked, "roles": Role.choices, "q": request.GET.get("q", "")},
    )


@login_required
@require_POST
def account_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    target = account_selectors.user_get_for(request.user, pk)
    try:
        if action == "reset":
            password = account_services.user_reset_password(actor=request.user, target=target)
            messages.success(
                request, f"已重置 {target.username} 的密码，新密码：{password}（仅显示一次）"
            )
        elif action == "disable":
            account_services.user_set_active(actor=request.user, target=target, active=False)
            messages.success(request, f"已停用 {target.username}")
        elif action == "enable":
            account_services.user_set_active(actor=request.user, target=target, active=True)
            messages.success(request, f"已启用 {target.username}")
        elif action == "unlock":
            account_services.user_unlock(actor=request.user, target=target)
            messages.success(request, f"已解锁 {target.username}")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:accounts")


@login_required
def roster_import(request: HttpRequest) -> HttpResponse:
    """花名册导入: choose a project, upload the filled template; every row is imported or none (R3)."""
    from smz.core.errors import Forbidden
    from smz.registry import excel

    user = request.user
    if not (user.is_superuser or user.role in excel.IMPORT_ROLES):
        raise Forbidden("您的角色无权导入花名册")
    selected = request.POST.get("project") or request.GET.get("project", "")
    context: dict[str, object] = {
        "projects": selectors.project_list_for(user),
        "selected": selected,
        "max_rows": excel.MAX_ROWS,
        "max_mb": excel.MAX_BYTES // 1024 // 1024,
    }
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not selected.isdigit() or upload is None:
            context["failure"] = "请选择项目和要上传的 Excel 文件"
            status = 422
        else:
            project = selectors.project_get_for(user, int(selected))
            try:
                result = excel.roster_import_upload(actor=user, project=project, upload=upload)
                context |= {"result": result, "project": project}
            except DomainError as exc:
                context |= {"failure": exc.message, "row_errors": exc.detail.get("rows", [])}
                status = exc.status
    return render(request, "portal/roster_import.html", context, status=status)
