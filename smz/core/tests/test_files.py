"""Issue 10 item 9: stored uploads are served by content; active PDFs, HTML and SVG are never shown inline."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from smz.core.files import user_file_response

CLEAN_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
OPEN_ACTION_PDF = CLEAN_PDF.replace(b"/Catalog", b"/Catalog /OpenAction 2 0 R")
JS_PDF = CLEAN_PDF.replace(b"/Catalog", b"/Catalog /Names << /JavaScript 3 0 R >>")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


def test_item9_clean_pdf_is_inline_without_sniffing() -> None:
    r = user_file_response(data=CLEAN_PDF, filename="许可证.pdf")
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r["Cache-Control"]


@pytest.mark.parametrize("data", [OPEN_ACTION_PDF, JS_PDF])
def test_item9_pdf_with_active_content_is_a_sandboxed_download(data: bytes) -> None:
    r = user_file_response(data=data, filename="许可证.pdf")
    assert r["Content-Disposition"].startswith("attachment")
    assert r["Content-Security-Policy"] == "sandbox"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_item9_image_is_inline_in_a_sandbox() -> None:
    r = user_file_response(data=_png(), filename="photo.png")
    assert r["Content-Type"] == "image/png" and r["Content-Disposition"].startswith("inline")
    assert r["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<!doctype html><script>alert(1)</script>", "scan.pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.svg"),
    ],
)
def test_item9_html_and_svg_are_never_inline(data: bytes, name: str) -> None:
    r = user_file_response(data=data, filename=name)
    assert r["Content-Type"] == "application/octet-stream"
    assert r["Content-Disposition"].startswith("attachment") and ".bin" in r["Content-Disposition"]
    assert r["Content-Security-Policy"] == "sandbox"


def test_item9_worker_photos_and_snapshots_are_not_sniffed(world, as_user) -> None:
    from django.core.files.base import ContentFile

    worker = world.workers["gc"]
    worker.face_photo.save("face.jpg", ContentFile(_png()), save=True)
    r = as_user("gc_labor").get(f"/workers/{worker.pk}/photo/face/")
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Security-Policy"] == "sandbox"
