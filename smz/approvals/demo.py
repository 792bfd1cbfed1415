"""Workflows in the demo city (`manage.py seed_workflows`): requests waiting at each level for the demo
approvers, a suspended project with its resumption waiting, a returned request, a draft with the permit
rule in play, and a key-post change waiting for the window's face enrollment. Everything goes through the
services, so the events, notifications and obligations are the real ones."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from PIL import Image, ImageDraw

from smz.accounts.models import User
from smz.approvals import services, workflows
from smz.approvals.documents import form_pdf, photo_sheet_pdf, photo_stamp
from smz.approvals.models import ApprovalRequest, AttachmentKind, RequestKind
from smz.approvals.views import _form_data
from smz.registry import project_changes, scoping
from smz.registry.models import KeyPost, Project, Worker

DEMO_REASONS = {
    RequestKind.START_CHANGE: "因规划调整，基坑支护方案须重新论证，无法按原拟开工日期开工。",
    RequestKind.SUSPENSION: "因地铁保护区范围调整，业主通知暂停施工，待重新评审后复工。",
    RequestKind.RESUMPTION: "评审已通过，现场具备复工条件。",
}


def _site_photo(seed: int) -> bytes:
    """A plain drawing of a site (cranes and a building), so photo sheets have something to show."""
    img = Image.new("RGB", (1200, 800), (186, 206, 224))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 560, 1200, 800), fill=(150, 130, 100))
    d.rectangle(
        (300 + seed * 40, 260, 700 + seed * 40, 560), fill=(200, 200, 195), outline=(90, 90, 90)
    )
    for y in range(290, 560, 50):
        d.line((300 + seed * 40, y, 700 + seed * 40, y), fill=(120, 120, 120), width=3)
    d.line((900, 560, 900, 120), fill=(230, 180, 30), width=14)
    d.line((700, 140, 1150, 140), fill=(230, 180, 30), width=10)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _attach_all(user: User, r: ApprovalRequest) -> None:
    """The scans a contractor would upload: the pre-filled form (standing in for its stamped scan), site
    photos and the photo sheet made from them."""
    for kind in workflows.REQUIRED_ATTACHMENTS[r.kind]:
        if kind == AttachmentKind.PHOTO_SHEET_SCAN:
            photos = [_site_photo(i) for i in range(2)]
            for i, data in enumerate(photos):
                services.attachment_add(
                    actor=user,
                    request=r,
                    kind=AttachmentKind.SITE_PHOTO,
                    data=data,
                    filename=f"现场{i + 1}.jpg",
                )
            sheet = photo_sheet_pdf(
                project_name=r.project.name,
                request_no=r.no,
                title="施工现场情况照片",
                photos=[
                    photo_stamp(p, project_name=r.project.name, uploaded_at=timezone.now())
                    for p in photos
                ],
                generated_at=timezone.now(),
            )
            data, name = sheet, "现场照片（盖章）.pdf"
        elif kind == AttachmentKind.FORM_SCAN:
            data, name = form_pdf(_form_data(r, user)), "申请表（盖章）.pdf"
        else:
            data, name = b"%PDF-1.4\n%%EOF\n", "安全生产标准化评定报告.pdf"
        services.attachment_add(actor=user, request=r, kind=kind, data=data, filename=name)


def _file(user: User, project: Project, kind: str, date: dt.date | None) -> ApprovalRequest:
    r = services.request_create(
        actor=user,
        project=project,
        kind=kind,
        requested_date=date,
        reason=DEMO_REASONS.get(kind, "") or "已取得安全生产标准化评定报告。",
    )
    _attach_all(user, r)
    return r


def _act(username: str, r: ApprovalRequest, action: str, note: str = "") -> ApprovalRequest:
    return services.request_act(
        actor=User.objects.get(username=username), request=r, action=action, note=note
    ).request


def build_demo_workflows(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    gc_admin = User.objects.get(username="gc_admin")
    gc_labor = User.objects.get(username="gc_labor")
    mine = scoping.projects_for(gc_admin).filter(participants__corp_type="009").distinct()
    by_name = {p.name: p for p in mine}
    done: dict[str, Any] = {}

    def project(prefix: str) -> Project | None:
        return next((p for n, p in by_name.items() if n.startswith(prefix)), None)

    # 石岐 (urban): a suspension waiting at the safety center's level 1 (safety1).
    if p := project("石岐"):
        done["waiting_l1"] = _file(gc_admin, p, RequestKind.SUSPENSION, today).no
        _act("gc_admin", ApprovalRequest.objects.get(no=done["waiting_l1"]), "submit")
    # 西区 (urban): suspended today; its resumption waits at level 2 (safety2).
    if p := project("西区"):
        r = _file(gc_admin, p, RequestKind.SUSPENSION, today)
        for who, action in (("gc_admin", "submit"), ("safety1", "forward"), ("safety2", "approve")):
            _act(who, r, action, "材料齐全，同意" if who != "gc_admin" else "")
        r = _file(gc_admin, p, RequestKind.RESUMPTION, today + dt.timedelta(days=3))
        _act("gc_admin", r, "submit")
        _act("safety1", r, "forward", "现场已具备复工条件")
        done["waiting_l2"] = r.no
    # 小榄 工业园 (not started): a later start, within the permit's start window, returned for a better
    # photo sheet. Only a project not yet started can move its start, and only to a day still ahead.
    if (
        (p := project("小榄示例工业园"))
        and not p.actual_start
        and (life := workflows.project_permit_life(p))
    ):
        new_start = min(life.valid_until, today + dt.timedelta(days=21))
        if new_start == p.planned_start:
            new_start -= dt.timedelta(days=1)
        if new_start > today:
            r = _file(gc_admin, p, RequestKind.START_CHANGE, new_start)
            _act("gc_admin", r, "submit")
            _act("xiaolan1", r, "return", "现场照片右下角未显示拍摄时间，请重新拍摄并盖章后上传")
            done["returned"] = r.no
    # 南朗 (not started): a draft start-date change that needs a permit extension.
    if (p := project("南朗")) and (life := workflows.project_permit_life(p)):
        done["draft"] = _file(
            gc_admin, p, RequestKind.START_CHANGE, life.valid_until + dt.timedelta(days=20)
        ).no
    # 小榄 (gc_labor's project): a technical lead named by a permit change, waiting for the window.
    if p := project("小榄示例花园"):
        post = (
            KeyPost.objects.filter(project=p, post="P02").first()
            or KeyPost.objects.filter(project=p).exclude(post="P01").first()
        )
        candidate = (
            Worker.objects.exclude(employments__project=p)
            .exclude(enrollments__isnull=False)
            .first()
        )
        if post and candidate:
            project_changes.key_post_change_record(
                actor=User.objects.get(username="admin"),
                key_post=post,
                new_worker=candidate,
                permit_ref=f"中建施许变〔{today.year}〕18号",
                permit_approved_on=today - dt.timedelta(days=2),
                source="authority",
            )
            done["awaiting_face"] = candidate.name
    done["applicant"] = gc_labor.username
    return done
