"""Authorities' lists: arrears alerts (欠薪预警), complaint handling (L5), and the city's legal holds that stop
the retention purge (L4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from smz.core.downloads import xlsx_download
from smz.core.errors import DomainError
from smz.core.forms import form_int
from smz.labor import selectors
from smz.labor.errors import LaborErrorCode
from smz.labor.models import Complaint
from smz.labor.services import complaints, retention
from smz.registry import scoping

ALERTS_PER_PAGE = 50


@login_required
def alerts(request: HttpRequest) -> HttpResponseBase:
    """欠薪预警 for the GC (its projects), the authorities (their area) and the city; Excel export."""
    if not (scoping.is_authority(request.user) or scoping.is_enterprise_user(request.user)):
        raise Http404
    rule = request.GET.get("rule", "")
    rule = rule if rule in selectors.RULES else ""
    every = selectors.alerts_for(request.user)
    shown = [a for a in every if not rule or a.rule == rule]
    if request.GET.get("export") == "xlsx":
        return xlsx_download(
            lambda book: selectors.alerts_xlsx(book, shown),
            f"arrears-{timezone.localdate():%Y%m%d}.xlsx",
        )
    # The page shows ALERTS_PER_PAGE rows at a time (the city has thousands: rendering them all took
    # seconds, issue 17 goal 4); the counts on top are of every alert, the Excel export has every row.
    page = Paginator(shown, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "labor/alerts.html",
        {
            "page": page,
            "counts": selectors.alert_counts(every),
            "rules": selectors.RULES,
            "rule": rule,
        },
    )


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Authorities: the complaints routed to them (the city: all), to accept, resolve or reject."""
    if not scoping.is_authority(request.user):
        raise Http404
    if request.method == "POST":
        item = selectors.complaint_get_for(request.user, form_int(request.POST.get("pk", "")))
        try:
            if item is None:
                raise DomainError(LaborErrorCode.COMPLAINT_UNKNOWN, "投诉不存在")
            complaints.complaint_handle(
                actor=request.user,
                complaint=item,
                status=request.POST.get("status", ""),
                reply=request.POST.get("reply", ""),
            )
            messages.success(request, f"{item.no} 已更新")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:complaints")
    status = request.GET.get("status", "open")
    return render(
        request,
        "labor/complaints.html",
        {
            "items": selectors.complaint_rows_for(request.user, status),
            "status": status,
            "statuses": Complaint.Status.choices,
        },
    )


@login_required
def legal_holds(request: HttpRequest) -> HttpResponse:
    """法律保全: the city's market section places and releases holds; the city's supervisors read them."""
    user = request.user
    if not selectors.legal_holds_readable(user):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("release"):
                hold = selectors.legal_hold_open(form_int(request.POST["release"]))
                if hold is None:
                    raise DomainError(LaborErrorCode.HOLD_UNKNOWN, "该保全不存在或已解除")
                retention.legal_hold_release(actor=user, hold=hold)
                messages.success(request, f"已解除 {hold.project.name} 的法律保全")
            else:
                code = request.POST.get("project", "").strip()
                project = selectors.project_by_code(code)
                if project is None:
                    raise DomainError(LaborErrorCode.HOLD_PROJECT, f"项目编码「{code[:20]}」不存在")
                retention.legal_hold_place(
                    actor=user, project=project, reason=request.POST.get("reason", "")
                )
                messages.success(request, f"已对 {project.name} 设置法律保全")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:holds")
    return render(
        request,
        "labor/holds.html",
        {
            "holds": selectors.legal_holds_list(),
            "may_manage": selectors.legal_holds_manageable(user),
        },
    )
