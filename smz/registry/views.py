"""Registry pages. The people (人员): the list with its exact search by ID number, one person's page, his
contact change by the employer, the audited reveal of a masked value and his photos; the roster import (花名册导入).
Their routes keep their names in the portal namespace (`portal:workers`, `portal:worker_detail`, ...: listed by
smz/portal/urls.py). And the worker's login by mobile number (phone first, then the texted code, N2), whose routes
keep their names in the accounts namespace (`accounts:worker_login`, `accounts:worker_verify`, see config/urls.py);
the codes are smz/registry/worker_codes.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from smz.accounts.models import Role
from smz.core import crypto
from smz.core.errors import DomainError, Forbidden
from smz.core.events import pii_access_record
from smz.core.files import user_file_headers
from smz.core.http import client_address
from smz.core.paging import KeysFirstPaginator
from smz.core.pii import FIELD_LABELS, mask_id_number, mask_phone, may_unmask, pii_reveal
from smz.core.validators import normalize_phone
from smz.registry import excel, selectors, worker_codes
from smz.registry.codes import code_table
from smz.registry.identity import id_number_index
from smz.registry.services import CONTACT_FIELDS, worker_contact_change, worker_may_edit

# The phone waits in the session between the two steps, encrypted like every stored phone.
SESSION_PHONE = "worker_login_phone"
DEFAULT_NEXT = "/me/wages/"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request: HttpRequest) -> str:
    """Where to go after login: ?next= when it is a local URL, else the worker's wages page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return DEFAULT_NEXT


def _with_next(url: str, request: HttpRequest) -> str:
    target = _next(request)
    if target == DEFAULT_NEXT:
        return url
    return f"{url}?{urlencode({'next': target})}"


def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return None
    if request.user.role == Role.WORKER:
        return redirect(_next(request))
    return redirect("portal:home")


@sensitive_post_parameters("phone")
@never_cache
@csrf_protect
def worker_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the worker's mobile number; a code is texted if it is a worker's (the answer never says)."""
    if response := _signed_in(request):
        return response
    phone = ""
    error = ""
    status = 200
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        try:
            worker_codes.login_code_send(phone=phone, ip=client_address(request))
        except DomainError as exc:
            error = exc.detail.get("fields", {}).get("phone") or exc.message
            status = exc.status
        else:
            request.session[SESSION_PHONE] = crypto.encrypt(normalize_phone(phone))
            return redirect(_with_next(reverse("accounts:worker_verify"), request))
    return render(
        request,
        "registry/worker_login.html",
        {"phone": phone, "error": error, "next": _next(request)},
        status=status,
    )


@sensitive_post_parameters("code")
@never_cache
@csrf_protect
def worker_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the texted code; a resend button asks for a new one for the same phone."""
    if response := _signed_in(request):
        return response
    sealed = request.session.get(SESSION_PHONE)
    if not sealed:
        return redirect(_with_next(reverse("accounts:worker_login"), request))
    phone = crypto.decrypt(sealed)
    error = ""
    status = 200
    if request.method == "POST" and "resend" in request.POST:
        try:
            worker_codes.login_code_send(phone=phone, ip=client_address(request))
            messages.info(request, "已重新发送验证码")
        except DomainError as exc:
            error, status = exc.message, exc.status
    elif request.method == "POST":
        try:
            user = worker_codes.login_code_verify(phone=phone, code=request.POST.get("code", ""))
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            target = _next(request)
            login(request, user, backend=BACKEND)
            request.session.pop(SESSION_PHONE, None)
            return redirect(target)
    return render(
        request,
        "registry/worker_verify.html",
        {"phone_masked": mask_phone(phone), "error": error, "next": _next(request)},
        status=status,
    )


# ---- the people (人员) and the roster import ----------------------------------------------------------


def _page(request: HttpRequest, qs: Any, per_page: int = 30, bucket: str = "") -> Page:
    return KeysFirstPaginator(qs, per_page, bucket=bucket).get_page(request.GET.get("page"))


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
        # a thousand projects in the city: a deep page sorts one project's people, not everyone (paging.py)
        "page": _page(request, qs, 50, bucket=selectors.EMPLOYMENT_BUCKET),
        "q": q,
        "id_searched": mask_id_number(id_number),
        "work_types": code_table("work_type"),
    }
    return render(request, "registry/workers.html", context)


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
    return render(request, "registry/worker_detail.html", context)


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
    return render(request, "registry/_revealed.html", {"value": value, "field": field})


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
def roster_import(request: HttpRequest) -> HttpResponse:
    """花名册导入: choose a project, upload the filled template; every row is imported or none (R3)."""
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
    return render(request, "registry/roster_import.html", context, status=status)
