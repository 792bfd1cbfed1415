"""Uploaded scans are judged by content: magic bytes, size, and whether Pillow can open the image."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from smz.core.errors import DomainError
from smz.core.uploads import (
    CONTENT_TYPES,
    EXTENSIONS,
    jpeg_complete,
    upload_check,
    upload_kind,
)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, fmt)
    return buf.getvalue()


FACE = (Path(__file__).resolve().parents[2] / "attendance" / "fixtures" / "face.jpg").read_bytes()
JPEG = _image("JPEG")
PNG = _image("PNG")


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (JPEG, "jpeg"), (PNG, "png")])
def test_each_kind_is_sniffed_and_accepted(data: bytes, kind: str) -> None:
    assert upload_kind(data) == kind
    assert upload_check(data, filename=f"scan{EXTENSIONS[kind]}") == kind
    assert kind in CONTENT_TYPES


def test_unknown_content_has_no_kind() -> None:
    assert upload_kind(HTML) is None
    assert upload_kind(b"") is None
    assert upload_kind(b"%PD") is None


def test_html_named_pdf_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(HTML, filename="施工许可证.pdf")
    assert exc.value.code == "upload.type"
    assert "施工许可证.pdf" in exc.value.detail["fields"]["file"]


def test_empty_file_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(b"", filename="a.pdf")
    assert exc.value.code == "upload.empty"
    assert set(exc.value.detail["fields"]) == {"file"}


def test_oversized_file_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(PDF, max_bytes=len(PDF) - 1)
    assert exc.value.code == "upload.too_large"
    assert upload_check(PDF, max_bytes=len(PDF)) == "pdf"


def test_default_limit_is_ten_megabytes() -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(b"%PDF-" + b"0" * (10 * 1024 * 1024))
    assert exc.value.code == "upload.too_large"
    assert exc.value.message == "文件超过 10 MB"


@pytest.mark.parametrize("data", [JPEG[: len(JPEG) // 2], PNG[: len(PNG) // 2]])
def test_truncated_image_is_refused_as_corrupt(data: bytes) -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(data, filename="photo")
    assert exc.value.code == "upload.corrupt"


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_cut_short_jpeg_is_refused_even_when_pillow_is_lenient(
    monkeypatch: pytest.MonkeyPatch, cut: float
) -> None:
    # Some libraries (weasyprint) switch Pillow to decode truncated files process-wide.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(DomainError) as exc:
        upload_check(FACE[: int(len(FACE) * cut)], filename="photo.jpg")
    assert exc.value.code == "upload.corrupt"
    assert upload_check(FACE) == "jpeg"


def test_jpeg_end_marker_of_an_embedded_thumbnail_does_not_count() -> None:
    buf = io.BytesIO()
    # Progressive: scans are separated by marker segments, so the end marker is only at the end.
    Image.open(io.BytesIO(FACE)).save(buf, "JPEG", progressive=True)
    main = buf.getvalue()
    payload = b"Exif\x00\x00" + JPEG  # a complete little JPEG inside APP1, like an EXIF thumbnail
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    data = main[:2] + app1 + main[2:]
    assert jpeg_complete(data)
    assert jpeg_complete(data + b"trailer appended by some phones")
    assert not jpeg_complete(data[: len(data) * 3 // 4])
    assert not jpeg_complete(data[:-2])


def test_magic_bytes_alone_are_not_an_image() -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(b"\x89PNG\r\n\x1a\n" + b"not really a png")
    assert exc.value.code == "upload.corrupt"


def test_allowed_subset_is_honoured() -> None:
    only_pdf = frozenset({"pdf"})
    assert upload_check(PDF, allowed=only_pdf) == "pdf"
    with pytest.raises(DomainError) as exc:
        upload_check(JPEG, filename="scan.pdf", allowed=only_pdf)
    assert exc.value.code == "upload.type"
    assert "PDF" in exc.value.detail["fields"]["file"]
