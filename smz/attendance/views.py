"""Attendance pages: project calendar (people × days) with monthly Excel per team, a person's passes with
permission-checked snapshots, and the anomaly lists (double shifts, invalid or off-site passes, key posts)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.accounts.models import Role
from smz.attendance import excel, selectors, services
from smz.attendance.models import PassContest
from smz.attendance.snapshots import snapshot_read
from smz.attendance.validity import INVALID_REASONS
from smz.core.downloads import xlsx_download
from smz.core.errors import DomainError
from smz.core.events import pii_access_record
from smz.core.files import user_file_headers
from smz.core.forms import form_int
from smz.core.paging import KeysFirstPaginator
from smz.registry import selectors as registry_selectors
from smz.registry.codes import code_table

TABS = (
    ("double_shift", "同日多项目出勤"),
    ("key_posts", "关键岗位未到岗"),
    ("only_invalid_passes", "仅有无效通行"),
    ("no_face", "抓拍无人脸"),
    ("off_site", "场外通行"),
    ("no_exit", "无出场记录"),
    ("not_same_person", "抓拍人脸非本人"),
)
ANOMALY_DEFAULT_DAYS = 7


@login_required
def project_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    if request.user.role == Role.WORKER:
        raise Http404
    project = registry_selectors.project_get_for(request.user, pk)
    month = selectors.month_parse(request.GET.get("month"))
    team = form_int(request.GET.get("team"))
    employments = selectors.calendar_employments_for(
        request.user, project=project, month=month, team=team
    )
    page = Paginator(employments, 50).get_page(request.GET.get("page"))
    rows = selectors.calendar_rows(list(page), project=project, month=month)
    days = selectors.month_days(month)
    context = {
        "project": project,
        "month": month,
        "prev_month": (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1),
        "next_month": (days[-1] + dt.timedelta(days=1)),
        "days": days,
        "today": selectors.today(),
        "rows": rows,
        "totals": selectors.day_totals(rows, month),
        "page": page,
        "team": team,
        "teams": registry_selectors.team_list_for(request.user, project=project.pk),
        "work_types": code_table("work_type"),
    }
    return render(request, "attendance/calendar.html", context)


@login_required
def project_calendar_export(request: HttpRequest, pk: int) -> FileResponse:
    project = registry_selectors.project_get_for(request.user, pk)
    month = selectors.month_parse(request.GET.get("month"))
    team = form_int(request.GET.get("team"))
    return xlsx_download(
        lambda book: excel.monthly_attendance_workbook(
            book, user=request.user, project=project, month=month, team=team
        ),
        f"{project.name}-{month:%Y-%m}-考勤表.xlsx",
    )


@login_required
def worker_passes(request: HttpRequest, pk: int) -> HttpResponse:
    worker = registry_selectors.worker_get_for(request.user, pk)
    first, last = selectors.range_parse(request.GET.get("from"), request.GET.get("to"))
    project = form_int(request.GET.get("project"))
    context = {
        "worker": worker,
        "first": first,
        "last": last,
        "project": project,
        "projects": registry_selectors.employment_list_for(request.user, worker=worker),
        "passes": selectors.pass_list_for(
            request.user, worker=worker, first=first, last=last, project=project
        ),
        "daily": selectors.daily_of_worker(
            request.user, worker=worker, first=first, last=last, project=project
        ),
        "anomaly_labels": selectors.ANOMALY_LABELS,
        "may_contest": selectors.contest_may_file_for_worker(request.user, worker),
    }
    return render(request, "attendance/passes.html", context)


@login_required
def pass_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    """A pass's snapshot is a face photo: only for users who may see the person's attendance; audited."""
    record = selectors.pass_get_for(request.user, pk)
    if not record.snapshot_name():
        raise Http404
    pii_access_record(
        actor=request.user, subject=record.worker, field="pass_snapshot", purpose=f"通行抓拍 {pk}"
    )
    response = HttpResponse(snapshot_read(record.snapshot_name()), content_type="image/jpeg")
    return user_file_headers(response)


@login_required
def anomalies(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.WORKER:
        raise Http404
    # The last 7 days by default: today alone is empty every morning (issue 11 item 7).
    first, last = selectors.range_parse(
        request.GET.get("from"), request.GET.get("to"), default_days=ANOMALY_DEFAULT_DAYS
    )
    tab = request.GET.get("tab", "double_shift")
    if tab not in dict(TABS):
        tab = "double_shift"
    day = selectors.today()
    context = {
        "tabs": TABS,
        "tab": tab,
        "first": first,
        "last": last,
        "range_days": (last - first).days + 1,
        "quick_ranges": [
            ("今天", day, day),
            ("昨天和今天", day - dt.timedelta(days=1), day),
            (
                f"最近 {ANOMALY_DEFAULT_DAYS} 天",
                day - dt.timedelta(days=ANOMALY_DEFAULT_DAYS - 1),
                day,
            ),
            ("最近 31 天", day - dt.timedelta(days=30), day),
        ],
        "anomaly_labels": selectors.ANOMALY_LABELS,
        "key_post_names": code_table("key_post"),
    }
    if tab == "double_shift":
        # a page at a time (500 person-days rendered at once took 0.2 s for the city): the person-days
        # first, then the rows of the page's only
        days = selectors.double_shift_days_for(request.user, first=first, last=last)
        limit = selectors.DOUBLE_SHIFTS_MAX
        context["page"] = Paginator(days[:limit], 50).get_page(request.GET.get("page"))
        context["shifts"] = selectors.double_shift_rows_for(
            request.user, days=context["page"].object_list
        )
        context["shifts_more"] = len(days) > limit
    elif tab == "key_posts":
        context["page"] = Paginator(
            selectors.key_post_absences_for(request.user, first=first, last=last), 50
        ).get_page(request.GET.get("page"))
    else:
        # the page's keys sorted first, from the tab's own index; a deep page sorts only its day's rows
        context["page"] = KeysFirstPaginator(
            selectors.anomaly_list_for(request.user, first=first, last=last, kind=tab),
            50,
            bucket=selectors.ANOMALY_BUCKET,
        ).get_page(request.GET.get("page"))
    return render(request, "attendance/anomalies.html", context)


@login_required
def contest_new(request: HttpRequest, pk: int) -> HttpResponse:
    """申诉此记录: the person or his employer contests a pass judged invalid for its snapshot or face."""
    page = selectors.contest_pass_for(request.user, pk)
    form = {"reason": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form["reason"] = request.POST.get("reason", "")
        try:
            contest = services.pass_contest_file(
                actor=request.user, pass_record=page["record"], reason=form["reason"]
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            status = exc.status
        else:
            messages.success(request, "申诉已提交，等待主管部门处理")
            return redirect("attendance:contest", contest.pk)
    return render(
        request,
        "attendance/contest_new.html",
        {"page": page, "form": form, "errors": errors},
        status=status,
    )


@login_required
def contest_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    return render(
        request,
        "attendance/contests.html",
        {
            "contests": selectors.contest_list_for(request.user, state=state),
            "state": state,
            "states": PassContest.State.choices,
            "reasons": INVALID_REASONS,
        },
    )


@login_required
def contest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contest and its pass; POST is the decision of an approver of the project's authority."""
    contest = selectors.contest_get_for(request.user, pk)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.pass_contest_decide(
                actor=request.user,
                contest=contest,
                accept=request.POST.get("outcome") == "accept",
                decision=request.POST.get("decision", ""),
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            status = exc.status
        else:
            messages.success(request, "已作出处理决定")
            return redirect("attendance:contest", pk)
    return render(
        request,
        "attendance/contest.html",
        {
            "contest": contest,
            "reasons": INVALID_REASONS,
            "may_decide": selectors.contest_may_decide(request.user, contest),
            "errors": errors,
        },
        status=status,
    )
