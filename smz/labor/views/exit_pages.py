"""Exit settlement (退场确认): the page and the confirmation PDF (L3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from smz.core.errors import CoreErrorCode, DomainError, Forbidden
from smz.core.forms import form_date
from smz.core.pii import masked
from smz.core.uploads import upload_read
from smz.labor import selectors
from smz.labor.documents import ExitData, exit_confirmation_pdf
from smz.labor.errors import LaborErrorCode
from smz.labor.models import ExitSettlement
from smz.labor.services import exits
from smz.registry import scoping
from smz.registry.selectors import employment_get_for


def exit_for(user, pk: int) -> ExitSettlement:
    settlement = selectors.exit_get_for(user, pk)
    if settlement is None:
        raise Http404
    return settlement


@login_required
def exit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """退场: draw up the confirmation, print it, collect the worker's confirmation, register the exit."""
    employment = employment_get_for(request.user, pk)
    user = request.user
    may_edit = scoping.can_maintain_roster(user, employment.project, employment.employer_id)
    settlement = selectors.exit_of(employment)
    if request.method == "POST":
        if not may_edit:
            raise Forbidden("无权为该人员办理退场")
        action = request.POST.get("action", "")
        try:
            if action == "prepare":
                settlement = exits.exit_prepare(
                    actor=user,
                    employment=employment,
                    exit_on=form_date(request.POST.get("exit_on", "")),
                    workload=request.POST.get("workload", ""),
                )
                messages.success(
                    request,
                    "退场确认书已生成：请打印给工人核对签字（按手印），或请工人在本人页面确认。",
                )
            elif action == "scan" and settlement:
                upload = request.FILES.get("file")
                if upload is None:
                    raise DomainError(CoreErrorCode.UPLOAD_EMPTY, "请选择扫描件")
                exits.exit_signed_scan_attach(
                    actor=user,
                    settlement=settlement,
                    data=upload_read(upload),
                    filename=upload.name,
                )
                messages.success(request, "已上传工人签字（按手印）的退场确认书")
            elif action == "register" and settlement:
                exits.exit_register(actor=user, settlement=settlement)
                messages.success(request, "已办理退场登记，该人员将从现场考勤设备中删除")
            else:
                raise DomainError(LaborErrorCode.EXIT_ACTION, "无效的操作")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:exit", employment.pk)
    return render(
        request,
        "labor/exit.html",
        {
            "e": employment,
            "s": settlement,
            "may_edit": may_edit,
            "today": timezone.localdate().isoformat(),
        },
    )


@xframe_options_sameorigin
@login_required
def exit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    s = exit_for(request.user, pk)
    e = s.employment
    data = ExitData(
        project_name=e.project.name,
        employer_name=e.employer.name,
        team_name=e.team.name if e.team else "",
        worker_name=e.worker.name,
        worker_id_masked=masked(e.worker, "id_number"),
        entry_on=e.entry_on,
        exit_on=s.exit_on,
        days_attended=s.days_attended,
        workload=s.workload,
        months=[(m, owed, paid) for m, owed, paid in s.months],
        owed_fen=s.owed_fen,
        paid_fen=s.paid_fen,
        balance_fen=s.balance_fen,
        generated_at=timezone.now(),
    )
    response = HttpResponse(exit_confirmation_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{s.no}.pdf"'
    return response
