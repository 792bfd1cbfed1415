"""The entry desk (进场登记): card readings, typed entry and the entry checks (A2)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden
from smz.core.forms import form_date
from smz.core.uploads import upload_read
from smz.labor import selectors
from smz.labor.errors import LaborErrorCode
from smz.labor.services import entry
from smz.registry import project_changes, scoping
from smz.registry.selectors import employment_get_for


@login_required
def entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    """进场核验: training, live face, the checks, then 准予进场 (sent to the gates) or 暂缓."""
    employment = employment_get_for(request.user, pk)
    user = request.user
    may_edit = scoping.can_maintain_roster(user, employment.project, employment.employer_id)
    if request.method == "POST":
        if not may_edit:
            raise Forbidden("无权为该人员办理进场")
        action = request.POST.get("action", "")
        try:
            if action == "training":
                entry.training_record(
                    actor=user,
                    employment=employment,
                    trained_on=form_date(request.POST.get("trained_on", "")),
                    course=request.POST.get("course", ""),
                    hours=request.POST.get("hours", ""),
                )
                messages.success(request, "培训已登记")
            elif action == "face":
                upload = request.FILES.get("photo")
                project_changes.site_face_capture(
                    actor=user,
                    employment=employment,
                    data=upload_read(
                        upload, max_bytes=project_changes.ENROLL_MAX_BYTES, field="photo"
                    ),
                )
                messages.success(request, "现场人脸已采集")
            elif action == "admit":
                entry.entry_admit(actor=user, employment=employment)
                messages.success(request, "核验通过，已下发至现场考勤设备")
            elif action == "hold":
                entry.entry_hold(actor=user, employment=employment)
                messages.success(request, "已暂缓下发，核验通过后再准予进场")
            else:
                raise DomainError(LaborErrorCode.ENTRY_ACTION, "无效的操作")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:entry", employment.pk)
    return render(
        request,
        "labor/entry.html",
        {
            "e": employment,
            "may_edit": may_edit,
            **selectors.entry_desk_facts(employment),
            "today": timezone.localdate().isoformat(),
        },
    )
