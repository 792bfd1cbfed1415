"""Workflow pages: applicants file and fix requests, approvers work their queues and decide with the
documents beside the form, the city sees every request; the forms (附件3–5) and the photo sheet as PDFs."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from smz.accounts.models import Role
from smz.approvals import rules, selectors, services, workflows
from smz.approvals.documents import (
    FormData,
    StampedPhoto,
    form_pdf,
    photo_sheet_pdf,
    photo_stamp,
)
from smz.approvals.errors import ApprovalsErrorCode
from smz.approvals.models import AttachmentKind, RequestKind, State
from smz.core.errors import DomainError, Forbidden
from smz.core.files import user_file_response
from smz.core.forms import form_date
from smz.core.uploads import upload_read
from smz.registry import scoping
from smz.registry.declarations import may_declare_start, start_declaration
from smz.registry.models import Participant
from smz.registry.obligations import project_calendar
from smz.registry.selectors import project_get_for

FORM_KINDS = {RequestKind.START_CHANGE, RequestKind.SUSPENSION, RequestKind.RESUMPTION}


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """All requests the user may see (the city: every one), with filters; approvers also get their queue."""
    g = request.GET
    tab = g.get("tab") or (
        "queue" if request.user.role in {Role.APPROVER_L1, Role.APPROVER_L2} else "all"
    )
    if tab == "queue":
        qs = selectors.queue_for(
            request.user, kind=g.get("kind", ""), q=g.get("q", ""), overdue=g.get("overdue") == "1"
        )
    else:
        qs = selectors.request_list_for(
            request.user,
            state=g.get("state", ""),
            kind=g.get("kind", ""),
            q=g.get("q", ""),
            overdue=g.get("overdue") == "1",
        )
    page = Paginator(qs, 30).get_page(g.get("page"))
    now = timezone.now()
    rows = [
        {
            "r": r,
            "waiting": selectors.waiting_days(r, now),
            "overdue": bool(
                r.due_at and r.due_at < now and r.state in (State.PENDING_L1, State.PENDING_L2)
            ),
        }
        for r in page
    ]
    return render(
        request,
        "approvals/list.html",
        {
            "page": page,
            "rows": rows,
            "tab": tab,
            "is_approver": request.user.role in {Role.APPROVER_L1, Role.APPROVER_L2},
            "kinds": RequestKind.choices,
            "states": State.choices,
        },
    )


@login_required
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a request for a project: the applicant picks the kind, the date and the reason."""
    project = project_get_for(request.user, pk)
    if not rules.may_apply(request.user, project):
        raise Forbidden("只有本项目施工总承包单位的企业管理员、劳资专管员或项目经理可以提交申请")
    kind = request.POST.get("kind") or request.GET.get("kind") or RequestKind.START_CHANGE
    form: dict = {"kind": kind}
    if request.method == "POST":
        form = request.POST.dict()
        try:
            created = services.request_create(
                actor=request.user,
                project=project,
                kind=kind,
                requested_date=form_date(form.get("requested_date", "")),
                reason=form.get("reason", ""),
                contact_phone=form.get("contact_phone", ""),
            )
            messages.success(
                request, f"已创建申请 {created.no}：请下载申请表，盖章后扫描上传，再提交审批。"
            )
            return redirect("approvals:detail", created.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            form["errors"] = exc.detail.get("fields", {})
    return render(
        request,
        "approvals/new.html",
        {
            "project": project,
            "form": form,
            "kinds": RequestKind.choices,
            "date_labels": workflows.DATE_LABELS,
            "permit": workflows.project_permit_life(project),
            "docked": workflows.safety_center_docked(),
        },
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.request_get_for(request.user, pk)
    editable = r.state in (State.DRAFT, State.RETURNED) and rules.is_applicant_side(request.user, r)
    attachments = list(selectors.attachments_of(r))
    scans = [a for a in attachments if a.kind != AttachmentKind.SITE_PHOTO]
    return render(
        request,
        "approvals/detail.html",
        {
            "r": r,
            "project": r.project,
            "events": selectors.request_events(r),
            "scans": scans,
            "photos": [a for a in attachments if a.kind == AttachmentKind.SITE_PHOTO],
            "history": selectors.attachments_superseded(r),
            "required": [
                {
                    "kind": k,
                    "label": AttachmentKind(k).label,
                    "done": any(a.kind == k for a in scans),
                }
                for k in workflows.REQUIRED_ATTACHMENTS[r.kind]
            ],
            "actions": rules.actions_for(request.user, r),
            "editable": editable,
            "date_label": workflows.DATE_LABELS[r.kind],
            "has_form": r.kind in FORM_KINDS,
            "needs_photos": AttachmentKind.PHOTO_SHEET_SCAN
            in workflows.REQUIRED_ATTACHMENTS[r.kind],
            "permit": workflows.project_permit_life(r.project),
            "declaration": start_declaration(r.project)
            if r.kind == RequestKind.START_CHANGE
            else None,
            "waiting": selectors.waiting_days(r),
            "overdue": bool(
                r.due_at
                and r.due_at < timezone.now()
                and r.state in (State.PENDING_L1, State.PENDING_L2)
            ),
            "upload_kinds": [
                (k, AttachmentKind(k).label)
                for k in (*workflows.REQUIRED_ATTACHMENTS[r.kind], AttachmentKind.OTHER)
            ],
            "may_comment": editable
            or rules.is_applicant_side(request.user, r)
            or bool(rules.actions_for(request.user, r)),
        },
    )


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.request_get_for(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "comment":
            services.request_comment(
                actor=request.user, request=r, note=request.POST.get("note", "")
            )
            messages.success(request, "意见已记录")
        elif action == "update":
            services.request_update(
                actor=request.user,
                request=r,
                requested_date=form_date(request.POST.get("requested_date", "")),
                reason=request.POST.get("reason", ""),
                contact_phone=request.POST.get("contact_phone", ""),
            )
            messages.success(request, "申请内容已保存")
        else:
            outcome = services.request_act(
                actor=request.user, request=r, action=action, note=request.POST.get("note", "")
            )
            text = (
                f"{rules.ACTION_LABELS.get(action, action)}：{outcome.request.get_state_display()}"
            )
            messages.success(request, text + (f"。{outcome.effect}" if outcome.effect else ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("approvals:detail", r.pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.request_get_for(request.user, pk)
    kind = request.POST.get("kind", "")
    files = request.FILES.getlist("file")
    if not files:
        messages.error(request, "请选择文件")
    for f in files:
        try:
            services.attachment_add(
                actor=request.user, request=r, kind=kind, data=upload_read(f), filename=f.name
            )
            messages.success(request, f"已上传：{f.name}")
        except DomainError as exc:
            messages.error(request, f"{f.name}：{exc.message}")
    return redirect("approvals:detail", r.pk)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get_for(request.user, pk)
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("approvals:detail", attachment.request_id)


@xframe_options_sameorigin  # shown beside the decision form
@login_required
def attachment_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A scan or photo, to the request's applicant side and its approvers only (private storage)."""
    attachment = selectors.attachment_get_for(request.user, pk)
    with attachment.file.open("rb") as fh:
        data = fh.read()
    return user_file_response(data=data, filename=attachment.original_name)


def _form_data(r, user) -> FormData:
    project = r.project
    names = selectors.participant_names(project)
    life = workflows.project_permit_life(project)
    return FormData(
        kind=r.kind,
        request_no=r.no,
        project_name=project.name,
        project_code=project.code,
        permit_no=project.permit_no,
        permit_issued_on=project.permit_issued_on,
        address=project.address,
        jurisdiction=project.jurisdiction.name,
        builder=project.builder.name,
        contractor=names.get(Participant.GC, ""),
        supervisor=names.get(Participant.SUPERVISION, ""),
        planned_start=project.planned_start
        if r.kind != RequestKind.START_CHANGE or not r.facts.get("old_start")
        else dt.date.fromisoformat(r.facts["old_start"]),
        requested_date=r.requested_date,
        reason=r.reason,
        applicant=r.applicant.display_name or r.applicant.username,
        applicant_phone=r.contact_phone,
        generated_at=timezone.now(),
        permit_valid_until=life.valid_until if life else None,
        extensions_used=life.extensions_used if life else 0,
    )


@xframe_options_sameorigin  # shown beside the decision form
@login_required
def form_download(request: HttpRequest, pk: int) -> HttpResponse:
    """附件3/4/5, pre-filled from the request and the project, to print, sign and stamp."""
    r = selectors.request_get_for(request.user, pk)
    if r.kind not in FORM_KINDS:
        raise DomainError(ApprovalsErrorCode.NO_FORM, "该类申请无需申请表", status=404)
    pdf = form_pdf(_form_data(r, request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{r.no}-form.pdf"'
    return response


@xframe_options_sameorigin  # shown beside the decision form
@login_required
def photo_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """WF6: the uploaded site photos laid out with the project name and capture time in each photo's
    lower-right corner, to print and stamp."""
    r = selectors.request_get_for(request.user, pk)
    photos: list[StampedPhoto] = []
    for a in selectors.site_photos_of(r):
        with a.file.open("rb") as fh:
            photos.append(
                photo_stamp(fh.read(), project_name=r.project.name, uploaded_at=a.uploaded_at)
            )
    if not photos:
        messages.error(request, "请先上传现场照片")
        return redirect("approvals:detail", r.pk)
    pdf = photo_sheet_pdf(
        project_name=r.project.name,
        request_no=r.no,
        title="施工现场情况照片",
        photos=photos,
        generated_at=timezone.now(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{r.no}-photos.pdf"'
    return response


def project_workflows(user, project) -> dict:
    """What the project page shows about workflows: status periods, requests, permit life, obligations."""
    calendar = project_calendar(project)
    return {
        "may_record_change": user.is_authenticated
        and scoping.is_authority(user)
        and selectors.may_record_permit_change(user, project),
        "requests": selectors.request_list_for(user, project=project.pk)[:20],
        "timeline": selectors.project_timeline(project),
        "permit": workflows.project_permit_life(project),
        "may_apply": rules.may_apply(user, project),
        "checks_from": calendar.checks_from,
        "declaration": start_declaration(project),
        "may_declare": may_declare_start(user, project),
        "kinds": [(k, label) for k, label in RequestKind.choices if _applicable(project, k)],
    }


def _applicable(project, kind: str) -> bool:
    """Offer only the requests the project's state allows (the service refuses the others anyway)."""
    try:
        workflows.workflow_check(
            project=project,
            kind=kind,
            requested_date=None if kind == RequestKind.ATTENDANCE_STOP else project.planned_start,
        )
    except DomainError as exc:
        return exc.code in _DATE_REFUSALS
    return True


# Refusals that depend on the date asked for (or the permit's), not on the project's state: still offered.
_DATE_REFUSALS = frozenset(
    {
        ApprovalsErrorCode.SAME_START,
        ApprovalsErrorCode.DATE_PAST,
        ApprovalsErrorCode.DATE_REQUIRED,
        ApprovalsErrorCode.PERMIT_MISSING,
        ApprovalsErrorCode.PERMIT_BEFORE_ISSUE,
        ApprovalsErrorCode.PERMIT_LAPSED,
        ApprovalsErrorCode.PERMIT_EXTENSIONS_EXHAUSTED,
        ApprovalsErrorCode.PERMIT_EXTENSION_TOO_LONG,
    }
)
