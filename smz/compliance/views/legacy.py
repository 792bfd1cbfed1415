"""Pages of the old integrity system (issue 13 item 3), city administrator only: the flagged projects with the
form to flag one, and a project's page to set its date, upload the old system's records and list them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.compliance.selectors import today
from smz.compliance.selectors.legacy import (
    legacy_project_for,
    legacy_projects_for,
    legacy_template_for,
    project_find_for,
)
from smz.compliance.services.legacy import COLUMNS, legacy_flag, legacy_import_upload
from smz.core.downloads import XLSX_CONTENT_TYPE
from smz.core.errors import DomainError, NotFound
from smz.core.forms import form_date


@login_required
def legacy_list(request: HttpRequest) -> HttpResponse:
    """原诚信管理系统项目: the flagged projects; GET ?code= opens a project by its code to flag it."""
    flags = legacy_projects_for(request.user)
    code = request.GET.get("code", "").strip()
    error = ""
    if code:
        try:
            project = project_find_for(request.user, code)
        except NotFound:
            error = f"未找到项目编码为“{code}”的项目"
        else:
            return redirect("compliance:legacy_project", project.pk)
    return render(
        request,
        "compliance/legacy_list.html",
        {"flags": flags, "code": code, "error": error},
        status=404 if error else 200,
    )


@login_required
def legacy_project(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's old-system flag and records; POST form=flag sets the flag, form=import uploads a file."""
    page = legacy_project_for(request.user, pk)
    errors: dict[str, str] = {}
    row_errors: list[dict[str, object]] = []
    status = 200
    form = {
        "attended_since": page.flag.attended_since.isoformat() if page.flag else "",
        "note": page.flag.note if page.flag else "",
    }
    if request.method == "POST":
        try:
            if request.POST.get("form") == "import":
                result = legacy_import_upload(
                    actor=request.user,
                    project=page.project,
                    upload=request.FILES.get("file"),
                    today=today(),
                )
                messages.success(
                    request,
                    f"已导入{result.rows}条记录（新增{result.created}条，更新{result.updated}条）",
                )
            else:
                form = {
                    "attended_since": request.POST.get("attended_since", ""),
                    "note": request.POST.get("note", "").strip(),
                }
                legacy_flag(
                    actor=request.user,
                    project=page.project,
                    attended_since=form_date(form["attended_since"]),
                    note=form["note"],
                )
                messages.success(request, "已登记为原诚信管理系统考勤项目")
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            row_errors = exc.detail.get("rows", [])
            status = exc.status
        else:
            return redirect("compliance:legacy_project", page.project.pk)
    return render(
        request,
        "compliance/legacy_project.html",
        {
            "page": page,
            "form": form,
            "errors": errors,
            "row_errors": row_errors,
            "columns": COLUMNS,
        },
        status=status,
    )


@login_required
def legacy_template(request: HttpRequest) -> HttpResponse:
    """The import template (.xlsx) for the old system's records."""
    response = HttpResponse(legacy_template_for(request.user), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="legacy-integrity-template.xlsx"'
    return response
