"""Pages of face identity (issue 15 item 3): the duplicate identities an authority may see (one face under two
ID numbers, an ID number's face replaced), each with both photos side by side, and the decision with a note.
Every photo shown is an audited personal-data access (smz.core.events.pii_access_record)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.core.errors import DomainError
from smz.core.events import pii_access_record
from smz.core.files import user_file_headers
from smz.faceid import selectors
from smz.faceid.models import FaceDuplicate
from smz.faceid.services import face_duplicate_decide

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
