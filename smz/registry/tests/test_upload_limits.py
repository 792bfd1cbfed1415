"""Issue 10 item 9: face photos and roster files that would blow up when decoded get a clear 4xx instead."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ImageFile

from smz.core.errors import DomainError
from smz.core.tests.bombs import png_bomb, xlsx_bomb
from smz.registry import excel, project_changes
from smz.registry.excel import importing
from smz.registry.models import Worker

IMPORT_URL = "/api/v1/roster/import"


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> mock.Mock:
    spy = mock.Mock(side_effect=AssertionError("pixels decoded"))
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return spy


@pytest.mark.parametrize("size", [(20000, 20000), (11000, 11000)])
def test_item9_face_photo_bomb_is_refused_not_decoded(size, no_decoding) -> None:
    with pytest.raises(DomainError) as exc:
        project_changes.face_photo_checked(png_bomb(*size))
    assert exc.value.code == "upload.image_too_large" and exc.value.status == 422
    assert "photo" in exc.value.detail["fields"]
    no_decoding.assert_not_called()


def test_item9_face_capture_at_the_entry_desk_refuses_a_bomb(world) -> None:
    employment = world.employments["gc"]
    with pytest.raises(DomainError) as exc:
        project_changes.site_face_capture(
            actor=world.user("gc_labor"), employment=employment, data=png_bomb(20000, 20000)
        )
    assert exc.value.code == "upload.image_too_large"


def test_item9_roster_xlsx_bomb_is_refused_before_openpyxl(world, as_user, monkeypatch) -> None:
    opened = mock.Mock(side_effect=AssertionError("openpyxl inflated the bomb"))
    monkeypatch.setattr(importing, "load_workbook", opened)
    bomb = xlsx_bomb(inflated_mb=110)
    assert len(bomb) < 400 * 1024  # the reported 418 KB bomb's size class
    before = Worker.objects.count()
    resp = as_user("gc_labor").post(
        f"{IMPORT_URL}?project_id={world.projects['p1'].pk}",
        {"file": SimpleUploadedFile("花名册.xlsx", bomb, content_type=excel.XLSX_CONTENT_TYPE)},
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] in {"upload.xlsx_too_large", "upload.zip_bomb"}
    assert body["message"] and set(body) == {"code", "message", "detail"}
    opened.assert_not_called()
    assert Worker.objects.count() == before


def test_item9_roster_ratio_bomb_is_refused(world, as_user) -> None:
    resp = as_user("gc_labor").post(
        f"{IMPORT_URL}?project_id={world.projects['p1'].pk}",
        {"file": SimpleUploadedFile("花名册.xlsx", xlsx_bomb(inflated_mb=20))},
    )
    assert resp.status_code == 422 and resp.json()["code"] == "upload.zip_bomb"
