"""Pages of the judgements (issue 13 items 4–6): the review queue, a deduction with its evidence, appeals, and
enterprise credit. Parse → selector → service → render; scoping is in smz.compliance.selectors.review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smz.compliance.models import Appeal
from smz.compliance.selectors import review as selectors
from smz.compliance.services import review as services
from smz.core.downloads import xlsx_download
from smz.core.errors import DomainError
from smz.core.files import user_file_response
from smz.core.uploads import upload_read


@login_required
def deduction_list(request: HttpRequest) -> HttpResponse:
    """扣分审核: the queue of the user's level (approvers), or every deduction in scope."""
    queue = selectors.queue_for(request.user, state=request.GET.get("state", ""))
    return render(
        request,
        "compliance/deductions.html",
        {"queue": queue},
    )


@login_required
@require_POST
def deductions_act(request: HttpRequest) -> HttpResponse:
    """A batch step on the ticked deductions."""
    pks = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
    rows = selectors.deductions_by_ids_for(request.user, pks)
    result = services.deductions_act(
        actor=request.user,
        deductions=rows,
        action=request.POST.get("action", ""),
        note=request.POST.get("note", ""),
    )
    if result.done:
        messages.success(request, f"已处理 {len(result.done)} 条")
    for pk, why in result.refused.items():
        messages.error(request, f"#{pk}：{why}")
    if not rows:
        messages.error(request, "请勾选要处理的扣分")
    return redirect(request.POST.get("back") or "compliance:deductions")


@login_required
def deduction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A deduction: its violation's evidence linked to the records, its review, reversal and appeals; POST is a
    review step."""
    page = selectors.deduction_page_for(request.user, pk)
    if request.method == "POST":
        try:
            services.deduction_act(
                actor=request.user,
                deduction=page.deduction,
                action=request.POST.get("action", ""),
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"{selectors.ACTION_LABELS.get(request.POST.get('action', ''), '')}：已办理",
            )
        return redirect("compliance:deduction", pk)
    return render(request, "compliance/deduction.html", {"page": page})


@login_required
def appeal_new(request: HttpRequest, pk: int) -> HttpResponse:
    """申诉: the responsible enterprise contests a confirmed deduction within its window."""
    page = selectors.deduction_page_for(request.user, pk)
    form = {"text": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form["text"] = request.POST.get("text", "")
        files = [(upload_read(f), f.name or "附件") for f in request.FILES.getlist("file")]
        try:
            appeal = services.appeal_file(
                actor=request.user, deduction=page.deduction, text=form["text"], files=files
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            status = exc.status
        else:
            messages.success(request, "申诉已提交，等待主管部门处理")
            return redirect("compliance:appeal", appeal.pk)
    return render(
        request,
        "compliance/appeal_new.html",
        {"page": page, "form": form, "errors": errors},
        status=status,
    )


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    return render(
        request,
        "compliance/appeals.html",
        {
            "appeals": selectors.appeal_list_for(request.user, state=state),
            "state": state,
            "states": Appeal.State.choices,
        },
    )


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An appeal with its attachments and the deduction it contests; POST is the jurisdiction's decision."""
    appeal = selectors.appeal_get_for(request.user, pk)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.appeal_decide(
                actor=request.user,
                appeal=appeal,
                reverse_it=request.POST.get("outcome") == "reverse",
                decision=request.POST.get("decision", ""),
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            status = exc.status
        else:
            messages.success(request, "已作出处理决定")
            return redirect("compliance:appeal", pk)
    return render(
        request,
        "compliance/appeal.html",
        {
            "appeal": appeal,
            "attachments": list(appeal.attachments.all()),
            "may_decide": selectors.may_decide_appeal(request.user, appeal),
            "errors": errors,
        },
        status=status,
    )


@login_required
def appeal_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.appeal_attachment_get_for(request.user, pk)
    with attachment.file.open("rb") as fh:
        data = fh.read()
    return user_file_response(data=data, filename=attachment.original_name)


@login_required
def credit_list(request: HttpRequest) -> HttpResponse:
    """企业信用等级: every enterprise's rolling score and grade (the public list)."""
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "compliance/credit_list.html",
        {
            "rows": selectors.credit_list_for(request.user, q=q),
            "q": q,
            "table": selectors.credit_table(),
        },
    )


@login_required
def credit_export(request: HttpRequest) -> FileResponse:
    return xlsx_download(
        lambda book: selectors.credit_xlsx_for(book, request.user), "credit-grades.xlsx"
    )


@login_required
def credit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An enterprise's score explained: every point with its evidence and appeals."""
    return render(
        request, "compliance/credit.html", {"c": selectors.credit_detail_for(request.user, pk)}
    )
