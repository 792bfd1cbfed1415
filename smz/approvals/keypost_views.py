"""WF4 pages: the authority records a permit change of a key-post holder; the bureau's window enrolls the
new person's face (camera or upload, quality-checked), which makes the change take effect."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.approvals import selectors
from smz.approvals.errors import ApprovalsErrorCode
from smz.core.errors import DomainError, Forbidden
from smz.core.forms import form_date
from smz.core.pii import mask_id_number, masked
from smz.core.uploads import upload_read
from smz.registry import project_changes
from smz.registry.codes import code_name, code_table
from smz.registry.errors import RegistryErrorCode
from smz.registry.models import KeyPostChange
from smz.registry.selectors import (
    key_post_list_for,
    project_get_for,
    worker_by_id_number_for,
    worker_get_for,
)


@login_required
def key_post_change(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_get_for(request.user, pk)
    if not selectors.may_record_permit_change(request.user, project):
        raise Forbidden("只有市建筑市场监管科或本项目的审批部门可以录入施工许可人员变更")
    posts = list(key_post_list_for(request.user, project=project.pk))
    form: dict = {}
    if request.method == "POST":
        form = request.POST.dict()
        post = next((p for p in posts if str(p.pk) == form.get("key_post")), None)
        try:
            if post is None:
                raise DomainError(
                    ApprovalsErrorCode.KEY_POST_UNKNOWN,
                    "请选择岗位",
                    {"fields": {"key_post": "必选"}},
                )
            approved_on = form_date(form.get("approved_on", ""))
            if approved_on is None:
                raise DomainError(
                    ApprovalsErrorCode.KEY_POST_DATE,
                    "请填写施工许可变更批准日期",
                    {"fields": {"approved_on": "必填"}},
                )
            if not form.get("permit_ref", "").strip():
                raise DomainError(
                    ApprovalsErrorCode.KEY_POST_PERMIT_REF,
                    "请填写变更依据文号",
                    {"fields": {"permit_ref": "必填"}},
                )
            person = project_changes.key_post_person(
                actor=request.user, id_number=form.get("id_number", ""), name=form.get("name", "")
            )
            change = project_changes.key_post_change_record(
                actor=request.user,
                key_post=post,
                new_worker=person,
                permit_ref=form["permit_ref"].strip()[:60],
                permit_approved_on=approved_on,
                source="authority",
            )
            if change.status == KeyPostChange.Status.EFFECTIVE:
                messages.success(request, f"{person.name} 已在窗口采集人脸，岗位人员即日起变更。")
            else:
                messages.warning(
                    request,
                    f"已录入。{person.name} 尚未在审批办窗口采集人脸：采集前由原岗位人员继续考勤。",
                )
            return redirect("approvals:key_post_change", project.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            form["errors"] = exc.detail.get("fields", {})
    changes = selectors.key_post_changes_of(request.user, project)
    return render(
        request,
        "approvals/key_post_change.html",
        {
            "project": project,
            "posts": [{"p": p, "label": code_name("key_post", p.post)} for p in posts],
            "changes": changes,
            "form": form,
        },
    )


@login_required
def enroll_list(request: HttpRequest) -> HttpResponse:
    """The window's worklist: people named by permit changes who have no enrolled face yet, and a search by
    ID number for anyone else a manager brings to the window."""
    if not selectors.may_enroll(request.user):
        raise Forbidden("只有审批办窗口人员可以采集人脸")
    found = None
    # Looked up by POST: an ID number never goes into a URL (and so into an access log: N2).
    number = request.POST.get("id_number", "").strip().upper() if request.method == "POST" else ""
    if number:
        found = worker_by_id_number_for(request.user, number)
        if found is None:
            messages.error(request, "未找到该证件号码的人员（须先由施工许可变更或企业登记）")
    pending = selectors.enrollments_pending_for(request.user)
    rows = [
        {
            "c": c,
            "post": code_name("key_post", c.key_post.post),
            "id_masked": masked(c.new_worker, "id_number"),
        }
        for c in pending
    ]
    recent = selectors.face_enrollments_for(request.user)[:20]
    return render(
        request,
        "approvals/enroll_list.html",
        {"rows": rows, "found": found, "recent": recent, "id_searched": mask_id_number(number)},
    )


def _photo_bytes(request: HttpRequest) -> tuple[bytes, str]:
    data_url = request.POST.get("photo_data", "")
    if data_url:
        head, _, payload = data_url.partition(",")
        if len(payload) > project_changes.ENROLL_MAX_BYTES * 4 // 3 + 4:
            raise DomainError(
                RegistryErrorCode.ENROLL_TOO_LARGE,
                "照片超过 8 MB",
                {"fields": {"photo": "照片过大"}},
                status=413,
            )
        if not head.startswith("data:image/"):
            raise DomainError(
                RegistryErrorCode.ENROLL_TYPE,
                "摄像头照片格式错误",
                {"fields": {"photo": "格式错误"}},
            )
        try:
            return base64.b64decode(payload, validate=True), "camera"
        except (binascii.Error, ValueError):
            raise DomainError(
                RegistryErrorCode.ENROLL_TYPE,
                "摄像头照片格式错误",
                {"fields": {"photo": "格式错误"}},
            ) from None
    upload = request.FILES.get("photo")
    return upload_read(upload, max_bytes=project_changes.ENROLL_MAX_BYTES, field="photo"), "upload"


@login_required
def enroll(request: HttpRequest, pk: int) -> HttpResponse:
    """Capture (webcam) or upload one person's face; the photo is checked, stored and sent to every site."""
    if not selectors.may_enroll(request.user):
        raise Forbidden("只有审批办窗口人员可以采集人脸")
    worker = worker_get_for(request.user, pk)
    if request.method == "POST":
        try:
            data, source = _photo_bytes(request)
            project_changes.face_enroll(actor=request.user, worker=worker, data=data, source=source)
            messages.success(request, f"{worker.name} 人脸采集完成，已下发至其所在项目的考勤设备。")
            return redirect("approvals:enroll", worker.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "approvals/enroll.html",
        {
            "worker": worker,
            "id_masked": masked(worker, "id_number"),
            "changes": selectors.key_post_changes_naming(request.user, worker),
            "enrollments": selectors.face_enrollments_for(request.user, worker=worker),
            "min_side": project_changes.ENROLL_MIN_SIDE,
            "post_names": code_table("key_post"),
        },
    )
