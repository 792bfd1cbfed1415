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


# --- issue 10 item 9: bombs are refused by their header, before a pixel or a byte is inflated. ----

from unittest import mock  # noqa: E402

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from smz.core import uploads  # noqa: E402
from smz.core.tests.bombs import jpeg_header_bomb, png_bomb, xlsx_bomb  # noqa: E402


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> mock.Mock:
    """Fails the test if any image's pixels are decoded."""
    spy = mock.Mock(side_effect=AssertionError("pixels decoded"))
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return spy


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_bomb(20000, 20000), id="png-20000x20000"),
        pytest.param(png_bomb(11000, 11000), id="png-11000x11000-15KB"),
        pytest.param(png_bomb(6000, 4100), id="png-just-over-24MP"),
        pytest.param(png_bomb(12000, 10), id="png-side-over-10000"),
        pytest.param(jpeg_header_bomb(30000, 30000), id="jpeg-header-30000x30000"),
    ],
)
def test_item9_image_bomb_is_refused_before_decoding(data: bytes, no_decoding: mock.Mock) -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(data, filename="photo.png")
    assert exc.value.code == "upload.image_too_large"
    assert exc.value.status == 422
    assert "像素过大" in exc.value.message
    assert "file" in exc.value.detail["fields"]
    no_decoding.assert_not_called()


def test_item9_image_at_the_limit_is_accepted() -> None:
    assert uploads.image_size_ok(6000, 4000)
    assert not uploads.image_size_ok(6000, 4001)
    assert upload_check(png_bomb(6000, 4000), filename="a.png") == "png"


def test_item9_pillow_limit_is_process_wide() -> None:
    import warnings

    from django.apps import apps
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_IMAGE_PIXELS
    # Between the limit and twice it Pillow only warns; start-up makes that an error everywhere
    # (pytest resets warning filters per test, so start-up is replayed here).
    with warnings.catch_warnings(), pytest.raises(Image.DecompressionBombWarning):
        apps.get_app_config("core").ready()
        Image.open(io.BytesIO(png_bomb(6000, 5000)))


def test_item9_image_open_answers_pillow_bomb_error_as_4xx() -> None:
    with (
        pytest.raises(DomainError) as exc,
        uploads.image_open(png_bomb(20000, 20000), field="photo"),
    ):
        pass
    assert exc.value.code == "upload.image_too_large"
    assert "photo" in exc.value.detail["fields"]


class _Lying(SimpleUploadedFile):
    """An upload whose declared size is smaller than its content."""

    @property
    def size(self) -> int:  # type: ignore[override]
        return 10

    @size.setter
    def size(self, value: int) -> None:
        pass


def test_item9_upload_read_refuses_by_declared_size_without_reading() -> None:
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048)
    with (
        mock.patch.object(upload, "chunks", side_effect=AssertionError("read")),
        pytest.raises(DomainError) as exc,
    ):
        uploads.upload_read(upload, max_bytes=1024)
    assert exc.value.code == "upload.too_large" and exc.value.status == 413


def test_item9_upload_read_stops_reading_when_size_lied() -> None:
    upload = _Lying("big.pdf", b"0" * (3 * 64 * 1024))
    with pytest.raises(DomainError) as exc:
        uploads.upload_read(upload, max_bytes=100 * 1024)
    assert exc.value.code == "upload.too_large"
    assert uploads.upload_read(SimpleUploadedFile("a.pdf", PDF)) == PDF
    assert uploads.upload_read(None) == b""


def test_item9_xlsx_over_the_inflated_cap_is_refused() -> None:
    bomb = xlsx_bomb(inflated_mb=110)
    assert len(bomb) < 200 * 1024
    with pytest.raises(DomainError) as exc:
        uploads.xlsx_check(bomb, filename="花名册.xlsx")
    assert exc.value.code in {"upload.xlsx_too_large", "upload.zip_bomb"}
    assert exc.value.status == 422


def test_item9_xlsx_with_a_bombs_compression_ratio_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        uploads.xlsx_check(xlsx_bomb(inflated_mb=20))
    assert exc.value.code == "upload.zip_bomb"
    assert exc.value.detail["ratio"] > uploads.XLSX_MAX_RATIO


def test_item9_xlsx_with_too_many_entries_is_refused() -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(uploads.XLSX_MAX_ENTRIES + 1):
            zf.writestr(f"xl/x{i}.xml", "<a/>")
    with pytest.raises(DomainError) as exc:
        uploads.xlsx_check(buf.getvalue())
    assert exc.value.code == "upload.zip_bomb"


def test_item9_an_ordinary_workbook_passes_the_zip_check() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    for r in range(2000):
        wb.active.append(["张三", "110101199003071234", r, "钢筋工"])
    buf = io.BytesIO()
    wb.save(buf)
    uploads.xlsx_check(buf.getvalue())


PDF_JS = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _pdf_with_object_stream(body: bytes) -> bytes:
    import zlib

    packed = zlib.compress(body)
    return (
        b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n%%EOF\n"
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PDF_JS, id="plain-javascript"),
        pytest.param(
            PDF.replace(b"/Catalog", b"/Catalog /Names << /J#61vaScript 3 0 R >>"),
            id="hex-escaped-name",
        ),
        pytest.param(
            _pdf_with_object_stream(b"<< /S /Launch /F (cmd.exe) >>"), id="launch-in-object-stream"
        ),
        pytest.param(
            PDF.replace(b"/Catalog", b"/Catalog /Names << /EmbeddedFiles 4 0 R >>"),
            id="embedded-file",
        ),
    ],
)
def test_item9_pdf_with_script_or_embedded_file_is_refused(data: bytes) -> None:
    with pytest.raises(DomainError) as exc:
        upload_check(data, filename="许可证.pdf")
    assert exc.value.code == "upload.pdf_active"
    assert exc.value.status == 422


def test_item9_pdf_active_parts_names_what_it_found() -> None:
    assert uploads.pdf_active_parts(PDF) == set()
    assert uploads.pdf_active_parts(PDF_JS) == {"OpenAction", "JavaScript", "JS"}
    # /JSON or /AAx are other names, not /JS or /AA.
    assert uploads.pdf_active_parts(PDF.replace(b"/Catalog", b"/Catalog /JSON 1 /AAx 2")) == set()


def test_item9_pdf_whose_streams_exhaust_the_scan_budget_is_not_called_clean() -> None:
    import zlib

    filler = (
        b"1 0 obj\n<< >>\nstream\n" + zlib.compress(b"\0" * (40 * 1024 * 1024)) + b"\nendstream\n"
    )
    hidden = _pdf_with_object_stream(b"<< /S /JavaScript /JS (x) >>")
    parts = uploads.pdf_active_parts(b"%PDF-1.5\n" + filler + hidden)
    assert uploads.PDF_UNSCANNED in parts
