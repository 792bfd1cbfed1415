"""Uploaded scans (扫描件) checked by their content, never by the name or the browser's content type."""

from __future__ import annotations

import io

from PIL import Image

from smz.core.errors import DomainError

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

# A bomb of tiny compressed pixels must not be decoded: Pillow refuses above this many pixels.
_MAX_PIXELS = 60_000_000


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
        raise _refuse("upload.empty", "文件为空", f"{shown}是空文件，请重新选择")
    if len(data) > max_bytes:
        limit = _size_label(max_bytes)
        raise _refuse("upload.too_large", f"文件超过 {limit}", f"{shown}超过 {limit} 上限")
    kind = upload_kind(data)
    if kind is None or kind not in allowed:
        # The name is ignored on purpose: an ".pdf" holding HTML is a stored-XSS vector.
        wanted = "、".join(_LABELS[k] for k in sorted(allowed))
        raise _refuse("upload.type", "文件类型不符", f"{shown}的内容不是 {wanted} 文件")
    if kind in ("jpeg", "png"):
        _verify_image(data, shown)
    if kind == "jpeg" and not jpeg_complete(data):
        raise _refuse("upload.corrupt", "文件已损坏", f"{shown}不完整，可能未上传完")
    return kind


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
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise _refuse("upload.corrupt", "图片尺寸过大", f"{shown}的像素数过大")
            img.verify()
        # verify() checks the structure only; decoding catches data cut short mid-scan.
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except DomainError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse("upload.corrupt", "文件已损坏", f"{shown}无法打开，可能已损坏") from exc
