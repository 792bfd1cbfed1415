"""Workflow pages through the Django client: applicant, approvers, the window, and the neighbours refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from smz.approvals import services
from smz.approvals.models import ApprovalRequest, AttachmentKind, RequestKind, State
from smz.registry.models import FaceEnrollment, KeyPost, KeyPostChange
from smz.registry.synthetic import synthetic_id_number
from smz.testing.approvals import PDF, fresh_permit, request_filed
from smz.testing.devices import jpeg


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


@pytest.fixture
def filed(world):
    p1 = fresh_permit(world.projects["p1"])
    return request_filed(
        world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
    )


def test_r_wf_applicant_files_through_the_pages(world, as_user):
    p1 = fresh_permit(world.projects["p1"])
    c = as_user("gc_labor")
    page = c.get(reverse("portal:project_detail", args=[p1.pk])).content.decode()
    assert "申请变更开工日期" in page and "管理人员考勤起始" in page
    assert c.get(reverse("approvals:new", args=[p1.pk]) + "?kind=start_change").status_code == 200
    new = p1.planned_start + dt.timedelta(days=7)
    resp = c.post(
        reverse("approvals:new", args=[p1.pk]),
        {"kind": "start_change", "requested_date": new.isoformat(), "reason": "设计变更"},
    )
    r = ApprovalRequest.objects.get(project=p1)
    assert resp.status_code == 302 and resp.url == reverse("approvals:detail", args=[r.pk])
    form = c.get(reverse("approvals:form_pdf", args=[r.pk]))
    assert form.status_code == 200 and form.content.startswith(b"%PDF")
    assert form["X-Frame-Options"] == "SAMEORIGIN"
    for kind in (AttachmentKind.FORM_SCAN, AttachmentKind.PHOTO_SHEET_SCAN):
        c.post(
            reverse("approvals:upload", args=[r.pk]),
            {"kind": kind, "file": SimpleUploadedFile("scan.pdf", PDF, "application/pdf")},
        )
    c.post(
        reverse("approvals:upload", args=[r.pk]),
        {"kind": "site_photo", "file": SimpleUploadedFile("site.jpg", jpeg(), "image/jpeg")},
    )
    sheet = c.get(reverse("approvals:photo_sheet", args=[r.pk]))
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    c.post(reverse("approvals:act", args=[r.pk]), {"action": "submit"})
    r.refresh_from_db()
    assert r.state == State.PENDING_L1


def test_r_wf_bad_upload_is_refused_with_a_message(world, as_user, filed):
    c = as_user("gc_labor")
    resp = c.post(
        reverse("approvals:upload", args=[filed.pk]),
        {
            "kind": "form_scan",
            "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00", "application/pdf"),
        },
        follow=True,
    )
    assert "不是" in resp.content.decode() or "类型" in resp.content.decode()
    assert filed.attachments.filter(kind="form_scan").count() == 1  # only the valid earlier one


def test_r_wf_approvers_decide_on_the_pages(world, as_user, filed):
    services.request_act(actor=world.user("gc_labor"), request=filed, action="submit")
    c = as_user("town_l1")
    queue = c.get(reverse("approvals:list")).content.decode()
    assert filed.no in queue and "我的待办" in queue
    detail = c.get(reverse("approvals:detail", args=[filed.pk])).content.decode()
    assert 'value="forward"' in detail and 'value="approve"' not in detail
    c.post(reverse("approvals:act", args=[filed.pk]), {"action": "forward", "note": "齐全"})
    c = as_user("town_l2")
    assert filed.no in c.get(reverse("approvals:list")).content.decode()
    c.post(reverse("approvals:act", args=[filed.pk]), {"action": "approve"})
    filed.refresh_from_db()
    assert filed.state == State.APPROVED
    page = as_user("gc_labor").get(reverse("portal:project_detail", args=[filed.project_id]))
    assert "变更开工日期" in page.content.decode() and filed.requested_date.isoformat() in (
        page.content.decode()
    )
    notes = as_user("gc_labor").get(reverse("approvals:notifications")).content.decode()
    assert "批准" in notes and filed.no in notes


@pytest.mark.parametrize("who", ["neighbour_town", "neighbour_labor", "outsider", "worker"])
def test_r_p3_neighbours_cannot_read_or_act(world, as_user, filed, who):
    c = as_user(who)
    attachment = filed.attachments.first()
    assert c.get(reverse("approvals:detail", args=[filed.pk])).status_code in (302, 403, 404)
    assert c.get(reverse("approvals:form_pdf", args=[filed.pk])).status_code in (302, 403, 404)
    assert c.get(reverse("approvals:attachment", args=[attachment.pk])).status_code in (
        302,
        403,
        404,
    )
    c.post(reverse("approvals:act", args=[filed.pk]), {"action": "submit"})
    c.post(reverse("approvals:act", args=[filed.pk]), {"action": "withdraw"})
    filed.refresh_from_db()
    assert filed.state == State.DRAFT
    listing = c.get(reverse("approvals:list") + "?tab=all")
    assert listing.status_code in (302, 200) and filed.no not in listing.content.decode()


def test_r_p3_subcontractor_sees_but_cannot_file_or_act(world, as_user, filed):
    c = as_user("sub_labor")
    detail = c.get(reverse("approvals:detail", args=[filed.pk]))
    assert detail.status_code == 200 and 'value="submit"' not in detail.content.decode()
    assert c.get(reverse("approvals:new", args=[filed.project_id])).status_code == 403


def test_r_wf_city_sees_every_request_and_overdue_filter(world, as_user, filed):
    services.request_act(actor=world.user("gc_labor"), request=filed, action="submit")
    ApprovalRequest.objects.filter(pk=filed.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    page = as_user("city_supervisor").get(reverse("approvals:list") + "?tab=all&overdue=1")
    assert filed.no in page.content.decode() and "超期" in page.content.decode()


def test_r_wf4_authority_records_change_and_window_enrolls(world, as_user):
    p1 = world.projects["p1"]
    post = KeyPost.objects.get(project=p1, post="P03")
    number = synthetic_id_number(birth=dt.date(1980, 5, 5), seq=77, male=True)
    c = as_user("town_l1")
    resp = c.post(
        reverse("approvals:key_post_change", args=[p1.pk]),
        {
            "key_post": post.pk,
            "name": "新技术负责人",
            "id_number": number,
            "permit_ref": "许变〔2026〕3号",
            "approved_on": today().isoformat(),
        },
        follow=True,
    )
    assert "尚未在审批办窗口采集人脸" in resp.content.decode()
    change = KeyPostChange.objects.get(key_post=post)
    assert change.status == KeyPostChange.Status.AWAITING_FACE
    for refused in ("neighbour_town", "gc_labor", "safety_l1"):
        assert as_user(refused).get(
            reverse("approvals:key_post_change", args=[p1.pk])
        ).status_code in (403, 404)
    window = as_user("window_clerk")
    worklist = window.get(reverse("approvals:enroll_list")).content.decode()
    assert "新技术负责人" in worklist and number not in worklist  # masked
    bad = window.post(
        reverse("approvals:enroll", args=[change.new_worker_id]),
        {"photo": SimpleUploadedFile("f.jpg", jpeg(800, 600, face=False), "image/jpeg")},
        follow=True,
    )
    assert "未检测到人脸" in bad.content.decode()
    window.post(
        reverse("approvals:enroll", args=[change.new_worker_id]),
        {"photo": SimpleUploadedFile("f.jpg", jpeg(800, 600), "image/jpeg")},
    )
    change.refresh_from_db()
    post.refresh_from_db()
    assert (
        change.status == KeyPostChange.Status.EFFECTIVE and post.holder_id == change.new_worker_id
    )
    assert FaceEnrollment.objects.filter(worker=change.new_worker).count() == 1
    assert as_user("gc_labor").get(reverse("approvals:enroll_list")).status_code == 403


def test_r_wf_home_page_counts_the_approvers_queue(world, as_user, filed):
    services.request_act(actor=world.user("gc_labor"), request=filed, action="submit")
    home = as_user("town_l1").get(reverse("portal:home")).content.decode()
    assert "待我审批" in home
    assert 'data-testid="count-approvals"' in home and '">1</a>' in home
    other = as_user("neighbour_town").get(reverse("portal:home")).content.decode()
    assert '">0</a>' in other
