"""Every upload passes one checker here: content not name, bytes before reading, pixels before decoding.

Uploaded scans (扫描件), photos, device snapshots and Excel files are judged by their content, never by the
name or the browser's content type. Limits are checked in the cheapest order: the declared size and the
bytes read in chunks (`upload_read`), the image header's width×height before any pixel is decoded
(`image_size_check`, `image_open`), an xlsx's zip central directory before openpyxl inflates it
(`xlsx_check`), and a PDF's active content (JavaScript, launch actions, embedded files) (`pdf_active_parts`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from PIL import Image

from smz.core.errors import CoreErrorCode, DomainError

CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
ALL_KINDS = frozenset(CONTENT_TYPES)
MAX_BYTES = 10 * 1024 * 1024

_LABELS = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG"}
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)

# A bomb of tiny compressed pixels must not be decoded. 24 MP covers a 6000×4000 camera and every
# phone's default mode (12–16 MP); one decoded RGB image at the limit costs ~72 MB. Either side is
# capped too, so a 1×24,000,000 strip cannot pass.
MAX_IMAGE_PIXELS = 24_000_000
MAX_IMAGE_SIDE = 10_000

# Pillow's own guard for every Image.open in the process (ours, weasyprint's, a library's): it warns
# above this and raises DecompressionBombError above twice this; the warning is made an error at
# start-up (smz.core.apps) so no caller decodes a bomb by accident.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def upload_kind(data: bytes) -> str | None:
    """The file's kind ("pdf", "jpeg", "png") from its magic bytes, or None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _refuse(code: str, message: str, reason: str) -> DomainError:
    return DomainError(code, message, {"fields": {"file": reason}})


def _size_label(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(1, n // 1024)} KB"


def upload_check(
    data: bytes,
    *,
    filename: str = "",
    allowed: frozenset[str] = ALL_KINDS,
    max_bytes: int = MAX_BYTES,
) -> str:
    """Return the upload's kind if its content is an allowed, intact file; raise DomainError otherwise."""
    shown = filename or "文件"
    if not data:
        raise _refuse(CoreErrorCode.UPLOAD_EMPTY, "文件为空", f"{shown}是空文件，请重新选择")
    if len(data) > max_bytes:
        raise _too_large(shown, max_bytes)
    kind = upload_kind(data)
    if kind is None or kind not in allowed:
        # The name is ignored on purpose: an ".pdf" holding HTML is a stored-XSS vector.
        wanted = "、".join(_LABELS[k] for k in sorted(allowed))
        raise _refuse(CoreErrorCode.UPLOAD_TYPE, "文件类型不符", f"{shown}的内容不是 {wanted} 文件")
    if kind in ("jpeg", "png"):
        _verify_image(data, shown)
    if kind == "jpeg" and not jpeg_complete(data):
        raise _refuse(CoreErrorCode.UPLOAD_CORRUPT, "文件已损坏", f"{shown}不完整，可能未上传完")
    if kind == "pdf":
        pdf_check(data, filename=filename)
    return kind


def _too_large(shown: str, max_bytes: int, field: str = "file") -> DomainError:
    limit = _size_label(max_bytes)
    return DomainError(
        CoreErrorCode.UPLOAD_TOO_LARGE,
        f"文件超过 {limit}",
        {"fields": {field: f"{shown}超过 {limit} 上限"}, "max_bytes": max_bytes},
        status=413,
    )


class _Upload(Protocol):
    size: int | None
    name: str | None

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...


def upload_read(
    upload: _Upload | None, *, max_bytes: int = MAX_BYTES, field: str = "file"
) -> bytes:
    """The upload's bytes, refused (413 upload.too_large) by its declared size, then while reading chunks.

    Django has already streamed a large upload to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE), so
    refusing here keeps a 50 MB file out of memory; the chunk count guards a size that lied.
    """
    if upload is None:
        return b""
    shown = upload.name or "文件"
    if (upload.size or 0) > max_bytes:
        raise _too_large(shown, max_bytes, field)
    buf = bytearray()
    for chunk in upload.chunks():
        buf += chunk
        if len(buf) > max_bytes:
            raise _too_large(shown, max_bytes, field)
    return bytes(buf)


def jpeg_complete(data: bytes) -> bool:
    """Whether the JPEG's image data ends with an EOI marker, i.e. it was not cut short in transfer.

    Pillow cannot be relied on for this: its LOAD_TRUNCATED_IMAGES switch is process-wide and
    libraries (weasyprint among them) turn it on at import, after which a half-received JPEG decodes.
    """
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
        elif marker == 0xDA:
            # Scan data escapes its 0xFF bytes, so an FFD9 after the first scan header is the end
            # marker; one before it may be the EXIF thumbnail's.
            return data.find(b"\xff\xd9", i) != -1
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
        else:
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return False


def _verify_image(data: bytes, shown: str) -> None:
    """Let Pillow parse the image so a truncated or forged scan is refused at upload, not at print."""
    try:
        with image_open(data, filename=shown) as img:
            img.verify()
        # verify() checks the structure only; decoding catches data cut short mid-scan.
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except DomainError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(
            CoreErrorCode.UPLOAD_CORRUPT, "文件已损坏", f"{shown}无法打开，可能已损坏"
        ) from exc


# --- Images: the header's size is read lazily and refused before any pixel is decoded. ----------


def _image_too_large(shown: str, field: str, size: tuple[int, int] | None) -> DomainError:
    limits = f"上限为 {MAX_IMAGE_PIXELS // 10_000} 万像素、单边 {MAX_IMAGE_SIDE} 像素"
    declared = f"（{size[0]}×{size[1]}）" if size else ""
    return DomainError(
        CoreErrorCode.UPLOAD_IMAGE_TOO_LARGE,
        f"图片像素过大{declared}，{limits}，请缩小后重新上传",
        {
            "fields": {field: f"{shown}像素过大，请缩小后重新上传"},
            "width": size[0] if size else None,
            "height": size[1] if size else None,
            "max_pixels": MAX_IMAGE_PIXELS,
            "max_side": MAX_IMAGE_SIDE,
        },
        status=422,
    )


def image_size_ok(width: int, height: int) -> bool:
    """Whether an image of this size may be decoded (MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE)."""
    return (
        0 < width <= MAX_IMAGE_SIDE
        and 0 < height <= MAX_IMAGE_SIDE
        and width * height <= MAX_IMAGE_PIXELS
    )


_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def image_header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image header without decoding a pixel; None if Pillow cannot parse it.

    Pillow itself refuses a header above its limit inside open() (smz.core.apps makes its warning an
    error too); such an image is reported as (0, 0), which no limit accepts.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except _BOMB:
        return (0, 0)
    except (OSError, SyntaxError, ValueError):
        return None


def image_size_check(
    data: bytes, *, filename: str = "", field: str = "file"
) -> tuple[int, int] | None:
    """The image's (width, height) if it may be decoded; 422 upload.image_too_large if not; None if unreadable."""
    size = image_header_size(data)
    if size is not None and not image_size_ok(*size):
        raise _image_too_large(filename or "图片", field, size if all(size) else None)
    return size


def image_lazy(data: bytes, *, filename: str = "", field: str = "file") -> Image.Image:
    """Image.open, refused (422 upload.image_too_large) by its header before a pixel is decoded.

    Pillow's DecompressionBombError/Warning are answered the same way; other failures propagate as
    Pillow raises them (OSError, SyntaxError, ValueError) for the caller to name in its own words.
    """
    shown = filename or "图片"
    try:
        img = Image.open(io.BytesIO(data))
    except _BOMB as exc:
        raise _image_too_large(shown, field, None) from exc
    if not image_size_ok(*img.size):
        img.close()
        raise _image_too_large(shown, field, img.size)
    return img


@contextmanager
def image_open(data: bytes, *, filename: str = "", field: str = "file") -> Iterator[Image.Image]:
    """image_lazy as a context manager that also answers a bomb found while decoding."""
    with image_lazy(data, filename=filename, field=field) as img:
        try:
            yield img
        except _BOMB as exc:
            raise _image_too_large(filename or "图片", field, img.size) from exc


# --- Excel: the zip's central directory is read before openpyxl inflates anything. ---------------

XLSX_MAX_ENTRIES = 200
# A 5,000-row roster of 30 columns is ~15 MB of sheet XML; 100 MB inflated refuses a bomb well before
# the memory it would cost (openpyxl keeps shared strings in memory even in read-only mode).
XLSX_MAX_UNCOMPRESSED = 100 * 1024 * 1024
# Spreadsheet XML deflates ~5-30×; a run of identical rows a little more. 200× is a bomb's signature,
# judged only on entries big enough to matter.
XLSX_MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024


def _xlsx_refused(code: str, message: str, shown: str, **detail: Any) -> DomainError:
    return DomainError(
        code, message, {"fields": {"file": f"{shown}：{message}"}, **detail}, status=422
    )


def xlsx_check(data: bytes, *, filename: str = "") -> None:
    """Refuse an xlsx whose zip declares too many entries, too much inflated data or a bomb's ratio.

    The declared sizes can be trusted for what follows: Python's zipfile (which openpyxl reads
    through) stops at an entry's declared size and fails its CRC check if the data inflates further.
    """
    shown = filename or "文件"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            entries = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: the importer's own "not an xlsx" message explains it better
    if len(entries) > XLSX_MAX_ENTRIES:
        raise _xlsx_refused(
            CoreErrorCode.UPLOAD_ZIP_BOMB,
            f"表格文件结构异常（含 {len(entries)} 个内部文件，上限 {XLSX_MAX_ENTRIES}）",
            shown,
            entries=len(entries),
        )
    total = sum(e.file_size for e in entries)
    if total > XLSX_MAX_UNCOMPRESSED:
        raise _xlsx_refused(
            CoreErrorCode.UPLOAD_XLSX_TOO_LARGE,
            f"表格解压后超过 {_size_label(XLSX_MAX_UNCOMPRESSED)}，请拆分后分批导入",
            shown,
            uncompressed_bytes=total,
            max_uncompressed_bytes=XLSX_MAX_UNCOMPRESSED,
        )
    for e in entries:
        if e.file_size > _RATIO_FLOOR and e.file_size > XLSX_MAX_RATIO * max(e.compress_size, 1):
            raise _xlsx_refused(
                CoreErrorCode.UPLOAD_ZIP_BOMB,
                "表格文件压缩比异常，疑似压缩炸弹，已拒绝",
                shown,
                ratio=e.file_size // max(e.compress_size, 1),
                max_ratio=XLSX_MAX_RATIO,
            )


# --- PDF: active content (scripts, launch actions, embedded files). --------------------------------

# Refused at upload: code or files the reader runs or opens.
PDF_REFUSED = frozenset(
    {"JS", "JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"}
)
# Any of these and a stored PDF is served as a download, never shown in the browser.
PDF_ACTIVE = PDF_REFUSED | {"OpenAction", "AA", "XFA", "SubmitForm", "ImportData", "GoToE"}
# Reported when the inflation budget ran out before every stream was read: not known to be clean.
PDF_UNSCANNED = "Unscanned"
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_PDF_INFLATE_BUDGET = 32 * 1024 * 1024


def _pdf_names(raw: bytes) -> set[str]:
    names = set()
    for m in _PDF_NAME.finditer(raw):
        name = m.group(1)
        if b"#" in name:  # /J#61vaScript is /JavaScript
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]), name)
        names.add(name.decode("latin-1"))
    return names


def _pdf_streams(data: bytes) -> Iterator[bytes | None]:
    """Inflated content of the PDF's Flate streams (object streams hide dictionaries there), bounded.

    Yields None, and stops, when the budget is spent before the last stream.
    """
    budget = _PDF_INFLATE_BUDGET
    view = memoryview(data)
    for m in _PDF_STREAM.finditer(data):
        end = data.find(b"endstream", m.end())
        if end == -1:
            return
        if budget <= 0:
            yield None
            return
        try:
            out = zlib.decompressobj().decompress(view[m.end() : end], budget)
        except zlib.error:
            continue
        budget -= len(out)
        yield out


def pdf_active_parts(data: bytes) -> set[str]:
    """The active-content names (PDF_ACTIVE) the PDF holds, in its plain or Flate-compressed objects."""
    found = _pdf_names(data)
    for inflated in _pdf_streams(data):
        if inflated is None:
            found.add(PDF_UNSCANNED)
        else:
            found |= _pdf_names(inflated)
    return found & (PDF_ACTIVE | {PDF_UNSCANNED})


def pdf_check(data: bytes, *, filename: str = "") -> None:
    """Refuse (422 upload.pdf_active) a PDF that carries JavaScript, a launch action or embedded files."""
    refused = pdf_active_parts(data) & PDF_REFUSED
    if refused:
        shown = filename or "文件"
        raise DomainError(
            CoreErrorCode.UPLOAD_PDF_ACTIVE,
            "PDF 含有脚本或嵌入文件，不能上传；请用扫描仪或“打印为 PDF”重新生成",
            {"fields": {"file": f"{shown}含有脚本或嵌入文件"}, "found": sorted(refused)},
            status=422,
        )
