"""A worker's own pages: wages and confirmations, pay slips, complaints, his own data (N2, L5)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from smz.accounts.models import Role
from smz.core import crypto
from smz.core.errors import DomainError
from smz.core.forms import form_int, form_month
from smz.core.pii import masked
from smz.labor import selectors, services
from smz.labor.documents import PaySlipData, pay_slip_pdf
from smz.labor.errors import LaborErrorCode
from smz.labor.models import Complaint
from smz.labor.services import complaints, exits
from smz.labor.views.exit_pages import exit_for
from smz.registry import worker_codes
from smz.registry.selectors import my_data_changes
from smz.registry.services import CONTACT_FIELDS

# The change waiting for its code sits in the session, encrypted like every stored phone and card.
SESSION_CHANGE = "my_profile_change"


@login_required
def my_wages(request: HttpRequest) -> HttpResponse:
    """A worker's own months: confirm a draft line, read the pay slip; his contracts."""
    user = request.user
    if user.role != Role.WORKER:
        raise Http404
    if request.method == "POST" and request.POST.get("exit"):
        try:
            exits.exit_confirm(
                actor=user, settlement=exit_for(user, form_int(request.POST["exit"]) or 0)
            )
            messages.success(request, "已确认退场确认书")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:my_wages")
    if request.method == "POST":
        line = selectors.my_line(user, form_int(request.POST.get("line", "")))
        try:
            if line is None:
                raise DomainError(LaborErrorCode.PAYROLL_LINE, "工资明细不存在")
            services.payroll_line_confirm(actor=user, line=line)
            messages.success(request, f"已确认 {line.payroll.month:%Y年%m月} 工资")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:my_wages")
    return render(
        request,
        "labor/my_wages.html",
        {
            "lines": selectors.my_lines(user),
            "contracts": selectors.my_contracts(user),
            "attendance": selectors.my_attendance(user, form_month(request.GET.get("month"))),
            "exits": selectors.my_exits(user),
        },
    )


@login_required
def pay_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """工资清单 (条例 Art.15) for one worker's month: the worker himself, his employer, the GC, authorities."""
    line = selectors.pay_slip_line_for(request.user, pk)
    if line is None:
        raise Http404
    p = line.payroll
    deductions = (
        [(line.deductions_note or "代扣代缴", line.deductions_fen)] if line.deductions_fen else []
    )
    confirmed = (
        f"{timezone.localtime(line.confirmed_at):%Y-%m-%d} {line.get_confirmed_via_display()}"
        if line.confirmed_at
        else "未确认"
    )
    data = PaySlipData(
        project_name=p.project.name,
        employer_name=p.employer.name,
        team_name=p.team.name if p.team else "",
        month=f"{p.month:%Y-%m}",
        worker_name=line.worker.name,
        worker_id_masked=masked(line.worker, "id_number"),
        bank_masked=masked(line.worker, "bank_card"),
        days=line.days_paid,
        hours=f"{line.hours_paid}",
        wage_kind_label=line.get_wage_kind_display(),
        rate_fen=line.rate_fen,
        gross_fen=line.gross_fen,
        deductions=deductions,
        net_fen=line.net_fen,
        paid_fen=line.paid_fen,
        paid_on=line.paid_on,
        pay_status_label=line.get_pay_status_display(),
        confirmed=confirmed,
        generated_at=timezone.now(),
    )
    response = HttpResponse(pay_slip_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="payslip-{p.month:%Y%m}.pdf"'
    return response


@login_required(login_url="/w/login/")
def my_complaints(request: HttpRequest) -> HttpResponse:
    """A worker's complaints: file one (the QR on the site notice board lands here), follow its status."""
    user = request.user
    if user.role != Role.WORKER:
        raise Http404
    form: dict = {"project": request.GET.get("project", "")}
    if request.method == "POST":
        form = request.POST.dict()
        project = selectors.my_project(user, form.get("project", ""))
        try:
            if project is None:
                raise DomainError(
                    LaborErrorCode.COMPLAINT_PROJECT, "请选择项目", {"fields": {"project": "必选"}}
                )
            c = complaints.complaint_file(
                actor=user,
                project=project,
                category=form.get("category", ""),
                text=form.get("text", ""),
                amount_yuan=form.get("amount_yuan", ""),
            )
            messages.success(request, f"投诉已提交（{c.no}），{c.authority.name}将受理并答复。")
            return redirect("labor:my_complaints")
        except DomainError as exc:
            messages.error(request, exc.message)
            form["errors"] = exc.detail.get("fields", {})
    return render(
        request,
        "labor/my_complaints.html",
        {
            "projects": selectors.my_projects(user),
            "items": selectors.complaints_for(user),
            "categories": Complaint.Category.choices,
            "form": form,
        },
    )


def complaint_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The notice board's QR code: the project's complaint form (after the worker's phone login)."""
    return redirect(f"{reverse('labor:my_complaints')}?project={code[:20]}")


@sensitive_post_parameters("phone", "bank_card", "code")
@never_cache
@login_required(login_url="/w/login/")
def my_profile(request: HttpRequest) -> HttpResponse:
    """我的资料: the worker's own data (masked), a change of phone or wage card confirmed by a code texted to
    his OLD phone, and every change of his data (我的资料变更记录) with who made it and why."""
    user = request.user
    if user.role != Role.WORKER or not user.worker_id:
        raise Http404
    worker = selectors.my_worker(user)
    form: dict = {}
    errors: dict = {}
    status = 200
    if request.method == "POST" and request.POST.get("form") == "request":
        form = {f: request.POST.get(f, "").strip() for f in CONTACT_FIELDS}
        try:
            changes = worker_codes.contact_change_request(
                user=user, changes=form, ip=request.META.get("REMOTE_ADDR") or None
            )
        except DomainError as exc:
            errors, status = exc.form_errors(), exc.status
            messages.error(request, exc.message)
        else:
            request.session[SESSION_CHANGE] = crypto.encrypt(json.dumps(changes))
            messages.info(request, f"验证码已发送到原手机号码 {masked(worker, 'phone')}")
            return redirect("labor:my_profile")
    elif request.method == "POST" and request.POST.get("form") == "confirm":
        sealed = request.session.get(SESSION_CHANGE)
        if not sealed:
            return redirect("labor:my_profile")
        try:
            worker_codes.contact_change_confirm(
                user=user,
                changes=json.loads(crypto.decrypt(sealed)),
                code=request.POST.get("code", ""),
            )
        except DomainError as exc:
            errors, status = {"code": exc.message}, exc.status
            messages.error(request, exc.message)
        else:
            request.session.pop(SESSION_CHANGE, None)
            messages.success(request, "修改成功，已记入资料变更记录")
            return redirect("labor:my_profile")
    elif request.method == "POST" and request.POST.get("form") == "cancel":
        request.session.pop(SESSION_CHANGE, None)
        return redirect("labor:my_profile")
    pending = None
    if sealed := request.session.get(SESSION_CHANGE):
        pending = sorted(json.loads(crypto.decrypt(sealed)))
    return render(
        request,
        "labor/my_profile.html",
        {
            "worker": worker,
            "phone_masked": masked(worker, "phone"),
            "id_masked": masked(worker, "id_number"),
            "bank_masked": masked(worker, "bank_card"),
            "pending": pending,
            "form": form,
            "errors": errors,
            "changes": my_data_changes(user),
        },
        status=status,
    )
