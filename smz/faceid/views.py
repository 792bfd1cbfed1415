"""Pages of face identity (issue 15 items 3 and 4): the duplicate identities an authority may see (one face under
two ID numbers, an ID number's face replaced), each with both photos side by side, and the decision with a note;
the "not the same person" results: the authority's queue, each with the gate's snapshot beside the enrolled
face, the employer's contest and the approver's decision. Every photo shown is an audited personal-data access
(smz.core.events.pii_access_record)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.attendance.snapshots import snapshot_read
from smz.core.errors import DomainError
from smz.core.events import pii_access_record
from smz.core.files import user_file_headers
from smz.faceid import selectors
from smz.faceid.models import FaceDuplicate, IdentityCheck
from smz.faceid.services import face_duplicate_decide, identity_check_contest, identity_check_decide

STATES = (("open", "待核查"), ("confirmed", "属实"), ("cleared", "已排除"), ("all", "全部"))


def _get(request: HttpRequest, pk: int) -> FaceDuplicate:
    try:
        return selectors.face_duplicate_get_for(request.user, pk)
    except FaceDuplicate.DoesNotExist:
        raise Http404 from None


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """人脸重复登记: open findings first; ?state= filters."""
    state = request.GET.get("state", "open")
    if state not in dict(STATES):
        state = "open"
    rows = selectors.face_duplicates_for(request.user, state=None if state == "all" else state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "faceid/duplicates.html",
        {"page": page, "states": STATES, "state": state},
    )


@login_required
def duplicate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One finding: both faces side by side, the distance, and (for an approver) the decision with a note."""
    duplicate = _get(request, pk)
    status = 200
    if request.method == "POST":
        try:
            face_duplicate_decide(
                actor=request.user,
                duplicate=duplicate,
                confirmed=request.POST.get("decision") == "confirm",
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, "已记录处理意见")
            return redirect("faceid:duplicate", duplicate.pk)
        duplicate = _get(request, pk)
    return render(
        request,
        "faceid/duplicate.html",
        {
            "d": duplicate,
            "may_decide": selectors.face_duplicate_may_decide(request.user, duplicate),
            "note": request.POST.get("note", "") if request.method == "POST" else "",
        },
        status=status,
    )


@login_required
def duplicate_photo(request: HttpRequest, pk: int, side: str) -> FileResponse:
    """The face photo a descriptor was computed from (it stays even after the person's photo changed),
    only to users who may see the finding; every view is audited."""
    if side not in {"first", "second"}:
        raise Http404
    duplicate = _get(request, pk)
    embedding = duplicate.first if side == "first" else duplicate.second
    worker = duplicate.first_worker if side == "first" else duplicate.second_worker
    try:
        handle = storages["default"].open(embedding.photo, "rb")
    except FileNotFoundError:
        raise Http404 from None
    pii_access_record(
        actor=request.user, subject=worker, field="face_photo", purpose="人脸重复登记核查"
    )
    return user_file_headers(FileResponse(handle, content_type="image/jpeg"))


# ---- review and appeal of "not the same person" (issue 15 item 4) -------------------------------------------


def _check(request: HttpRequest, pk: int) -> IdentityCheck:
    try:
        return selectors.identity_check_get_for(request.user, pk)
    except IdentityCheck.DoesNotExist:
        raise Http404 from None


@login_required
def check_list(request: HttpRequest) -> HttpResponse:
    """人脸核验复核: the "not the same person" results, undecided first; ?state= filters."""
    state = request.GET.get("state", "open")
    if state not in dict(selectors.REVIEW_STATES):
        state = "open"
    rows = selectors.identity_checks_for(request.user, state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "faceid/checks.html",
        {"page": page, "states": selectors.REVIEW_STATES, "state": state},
    )


def _check_page(
    request: HttpRequest, check: IdentityCheck, *, status: int = 200, note: str = ""
) -> HttpResponse:
    reviews = selectors.identity_check_reviews(check)
    return render(
        request,
        "faceid/check.html",
        {
            "c": check,
            "contest": reviews.get("contest"),
            "decision": reviews.get("decision"),
            "may_decide": selectors.identity_check_may_decide(request.user, check),
            "may_contest": selectors.identity_check_may_contest(request.user, check),
            "note": note,
        },
        status=status,
    )


@login_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One result: the snapshot beside the enrolled face, the distance, the contest and the decision; an
    approver of the routed authority decides here (确认非本人 / 改判为本人) with a note."""
    check = _check(request, pk)
    if request.method != "POST":
        return _check_page(request, check)
    try:
        identity_check_decide(
            actor=request.user,
            check=check,
            overturn=request.POST.get("decision") == "overturn",
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _check_page(request, check, status=exc.status, note=request.POST.get("note", ""))
    messages.success(request, "已记录复核结论")
    return redirect("faceid:check", check.pk)


@login_required
def check_contest(request: HttpRequest, pk: int) -> HttpResponse:
    """The pass's employer contests the result with a note (once, before the decision)."""
    check = _check(request, pk)
    if not selectors.identity_check_may_contest(request.user, check):
        raise Http404
    if request.method != "POST":
        return _check_page(request, check)
    try:
        identity_check_contest(actor=request.user, check=check, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _check_page(request, check, status=exc.status, note=request.POST.get("note", ""))
    messages.success(request, "已提交申诉，等待主管部门复核")
    return redirect("faceid:check", check.pk)


@login_required
def check_photo(request: HttpRequest, pk: int, side: str) -> HttpResponse:
    """The gate's snapshot or the enrolled face it was compared with, only to users who may see the result;
    every view is audited."""
    if side not in {"snapshot", "enrolled"}:
        raise Http404
    check = _check(request, pk)
    name = selectors.identity_check_photo(check, side)
    if not name:
        raise Http404
    try:
        if side == "snapshot":
            data = snapshot_read(name)
        else:
            with storages["default"].open(name, "rb") as handle:
                data = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    pii_access_record(
        actor=request.user,
        subject=check.worker,
        field="pass_snapshot" if side == "snapshot" else "face_photo",
        purpose=f"人脸核验复核 {check.pk}",
    )
    return user_file_headers(HttpResponse(data, content_type="image/jpeg"))
