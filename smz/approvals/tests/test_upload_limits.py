"""Issue 10 item 9: photo sheets and the window's face enrollment answer a decompression bomb with a clear message."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ImageFile

from smz.approvals.documents import photo_stamp
from smz.core.errors import DomainError
from smz.core.tests.bombs import png_bomb
from smz.registry.models import FaceEnrollment

UPLOADED = dt.datetime(2026, 11, 29, 1, 30, tzinfo=dt.UTC)


def test_item9_photo_sheet_bomb_is_refused_not_decoded(monkeypatch) -> None:
    spy = mock.Mock(side_effect=AssertionError("pixels decoded"))
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    with pytest.raises(DomainError) as exc:
        photo_stamp(png_bomb(11000, 11000), project_name="滨江花园", uploaded_at=UPLOADED)
    assert exc.value.code == "upload.image_too_large"
    spy.assert_not_called()


@pytest.mark.parametrize("size", [(20000, 20000), (11000, 11000)])
def test_item9_window_face_enrollment_bomb_gets_a_clear_message(world, as_user, size) -> None:
    worker = world.workers["pm"]
    resp = as_user("window_clerk").post(
        reverse("approvals:enroll", args=[worker.pk]),
        {"photo": SimpleUploadedFile("face.png", png_bomb(*size), "image/png")},
        follow=True,
    )
    assert resp.status_code == 200
    assert "图片像素过大" in resp.content.decode()
    assert not FaceEnrollment.objects.filter(worker=worker).exists()


def test_item9_window_face_enrollment_upload_over_8mb_is_refused_unread(world, as_user) -> None:
    worker = world.workers["pm"]
    resp = as_user("window_clerk").post(
        reverse("approvals:enroll", args=[worker.pk]),
        {"photo": SimpleUploadedFile("face.jpg", b"\xff\xd8" + b"\0" * (9 * 1024 * 1024))},
        follow=True,
    )
    assert resp.status_code == 200
    assert "文件超过 8 MB" in resp.content.decode()


def test_item9_attachment_pdf_with_javascript_is_refused_at_upload(world) -> None:
    from smz.approvals import services
    from smz.approvals.models import RequestKind
    from smz.testing.approvals import fresh_permit, request_filed

    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7))
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>\nendobj\n"
    with pytest.raises(DomainError) as exc:
        services.attachment_add(
            actor=world.user("gc_labor"), request=r, kind="other", data=pdf, filename="a.pdf"
        )
    assert exc.value.code == "upload.pdf_active"


def test_item9_stored_pdf_with_an_open_action_is_served_as_a_download(world, as_user) -> None:
    from django.core.files.base import ContentFile

    from smz.approvals.models import RequestKind
    from smz.testing.approvals import fresh_permit, request_filed

    p1 = fresh_permit(world.projects["p1"])
    filed = request_filed(
        world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
    )
    attachment = filed.attachments.first()
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n%%EOF\n"
    attachment.file.save("legacy.pdf", ContentFile(pdf))
    resp = as_user("gc_labor").get(reverse("approvals:attachment", args=[attachment.pk]))
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    assert resp["Content-Security-Policy"] == "sandbox"
    assert resp["X-Content-Type-Options"] == "nosniff"
