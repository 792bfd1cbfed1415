"""Printable documents of the notice: application forms 附件3–5 (X3–X5) and the site photo sheet (WF6)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps

from smz.core.errors import CoreErrorCode, DomainError
from smz.core.pdf import city_stamp, city_time, cjk_font_path, cn_date, template_pdf
from smz.core.timeutil import CITY_TZ
from smz.core.uploads import image_lazy, jpeg_complete, upload_kind

TITLE_PREFIX = "中山市房屋建筑和市政基础设施工程项目施工现场实名制管理平台"
_FORM_SUFFIXES = {
    "start_change": "开工日期变更申请表",
    "suspension": "停工申请表",
    "resumption": "复工申请表",
}
FORM_TITLES: dict[str, str] = {kind: TITLE_PREFIX + s for kind, s in _FORM_SUFFIXES.items()}
_ATTACHMENT_NO = {"start_change": 3, "suspension": 4, "resumption": 5}
MAX_EXTENSIONS = 2

PHOTO_MAX_SIDE = 1600
PHOTO_QUALITY = 85
# EXIF tags: the Exif sub-IFD, DateTimeOriginal, its UTC offset, and IFD0 DateTime.
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306


@dataclass(frozen=True)
class FormData:
    """What one application form (申请表) prints; the engine fills it from the request."""

    kind: str
    request_no: str
    project_name: str
    project_code: str
    permit_no: str
    permit_issued_on: dt.date | None
    address: str
    jurisdiction: str
    builder: str
    contractor: str
    supervisor: str
    planned_start: dt.date | None
    requested_date: dt.date | None
    reason: str
    applicant: str
    applicant_phone: str
    generated_at: dt.datetime
    permit_valid_until: dt.date | None = None
    extensions_used: int = 0


@dataclass(frozen=True)
class StampedPhoto:
    """A site photo with its caption burned into the lower-right corner (WF6)."""

    jpeg: bytes
    taken_at: dt.datetime
    time_source: str


def form_pdf(data: FormData) -> bytes:
    """The filled application form 附件3/4/5 as an A4 PDF, blank boxes left for stamps and approval."""
    if data.kind not in FORM_TITLES:
        raise ValueError(f"unknown form kind: {data.kind!r}")
    context = {
        "d": data,
        "attachment_no": _ATTACHMENT_NO[data.kind],
        "title_prefix": TITLE_PREFIX,
        "title_suffix": _FORM_SUFFIXES[data.kind],
        "title": FORM_TITLES[data.kind],
        "generated_at": city_stamp(data.generated_at),
        "permit_issued_on": cn_date(data.permit_issued_on),
        "planned_start": cn_date(data.planned_start),
        "requested_date": cn_date(data.requested_date),
        "permit_valid_until": cn_date(data.permit_valid_until),
        "max_extensions": MAX_EXTENSIONS,
        "parties": ["建设单位", "施工单位", "监理单位"],
    }
    return template_pdf("approvals/pdf/form.html", context)


def _exif_time(img: Image.Image) -> dt.datetime | None:
    """拍摄时间 from EXIF, read as the camera's local time in the city unless an offset is recorded."""
    exif = img.getexif()
    sub = exif.get_ifd(_EXIF_IFD)
    for raw, offset in (
        (sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_TIME_ORIGINAL)),
        (exif.get(_DATETIME), None),
    ):
        parsed = _parse_exif_time(raw, offset)
        if parsed is not None:
            return parsed
    return None


def _parse_exif_time(raw: object, offset: object) -> dt.datetime | None:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        # Cameras with an unset clock write blanks or zeros ("0000:00:00 00:00:00").
        return None
    tz: dt.tzinfo = CITY_TZ
    if isinstance(offset, str):
        try:
            tz = dt.datetime.strptime(offset.strip("\x00 "), "%z").tzinfo or CITY_TZ
        except ValueError:
            tz = CITY_TZ
    return naive.replace(tzinfo=tz).astimezone(CITY_TZ)


def _open_photo(image: bytes) -> Image.Image:
    if upload_kind(image) not in ("jpeg", "png"):
        raise DomainError(
            CoreErrorCode.UPLOAD_TYPE,
            "照片须为 JPG 或 PNG 图片",
            {"fields": {"file": "不是图片文件"}},
        )
    try:
        if upload_kind(image) == "jpeg" and not jpeg_complete(image):
            raise OSError("JPEG without end-of-image marker")
        # The pixel limit is checked on the header, before anything is decoded.
        img = image_lazy(image)
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale when that still covers the output size: a phone's
        # 12 MP photo then costs a fraction of the time and memory.
        ratio = min(1.0, PHOTO_MAX_SIDE / max(img.size))
        img.draft("RGB", (math.ceil(img.width * ratio), math.ceil(img.height * ratio)))
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise DomainError(
            CoreErrorCode.UPLOAD_CORRUPT, "图片已损坏", {"fields": {"file": "无法打开，可能已损坏"}}
        ) from exc
    return img


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """Cut text with an ellipsis so it fits the caption box; the full name is printed on the sheet."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _burn_caption(img: Image.Image, lines: list[str]) -> Image.Image:
    """Right-aligned white text on a semi-opaque dark box in the lower-right corner."""
    w, h = img.size
    size = max(12, round(w * 0.03))
    font = ImageFont.truetype(cjk_font_path(), size, index=0)
    pad = max(4, size // 3)
    gap = max(2, size // 4)
    margin = max(4, round(w * 0.015))
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    max_text = w - 2 * margin - 2 * pad
    lines = [_fit(draw, line, font, max_text) for line in lines]
    widths = [draw.textlength(line, font=font) for line in lines]
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    box_w = round(max(widths)) + 2 * pad
    box_h = len(lines) * line_h + (len(lines) - 1) * gap + 2 * pad
    right, bottom = w - margin, h - margin
    draw.rectangle((right - box_w, bottom - box_h, right, bottom), fill=(0, 0, 0, 150))
    y = bottom - box_h + pad
    for line, lw in zip(lines, widths, strict=True):
        draw.text((right - pad - lw, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_h + gap
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def photo_stamp(image: bytes, *, project_name: str, uploaded_at: dt.datetime) -> StampedPhoto:
    """Mark a site photo with the project name and 拍摄时间 in its lower-right corner (WF6)."""
    img = _open_photo(image)
    taken = _exif_time(img)
    source = "exif" if taken is not None else "upload"
    moment = taken if taken is not None else city_time(uploaded_at)
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or img.mode == "P" else "RGB")
    if img.mode == "RGBA":
        # JPEG has no alpha: flatten transparent areas onto white, as they would print.
        img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img)
    img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
    out = _burn_caption(img, [project_name, _time_caption(moment, source)])
    buf = io.BytesIO()
    # Re-encoding drops the original EXIF, GPS position included: the caption carries the time.
    out.save(buf, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    return StampedPhoto(jpeg=buf.getvalue(), taken_at=moment, time_source=source)


def _time_caption(moment: dt.datetime, source: str) -> str:
    """拍摄时间, or the upload time marked as such so nobody takes it for the shooting time."""
    when = city_stamp(moment)
    if source == "exif":
        return f"拍摄时间 {when}"
    return f"上传时间 {when}（无拍摄时间）"


def photo_sheet_pdf(
    *,
    project_name: str,
    request_no: str,
    title: str,
    photos: list[StampedPhoto],
    generated_at: dt.datetime,
) -> bytes:
    """The site photo sheet (施工现场情况照片): two stamped photos per A4 page, stamp box on each."""
    if not photos:
        raise ValueError("photo sheet needs at least one photo")
    items = [
        {
            "no": i,
            "src": "data:image/jpeg;base64," + base64.b64encode(p.jpeg).decode("ascii"),
            "caption": _time_caption(p.taken_at, p.time_source),
        }
        for i, p in enumerate(photos, start=1)
    ]
    pages = [items[i : i + 2] for i in range(0, len(items), 2)]
    context = {
        "title": title,
        "project_name": project_name,
        "request_no": request_no,
        "generated_at": city_stamp(generated_at),
        "pages": pages,
        "photo_count": len(photos),
    }
    return template_pdf("approvals/pdf/photo_sheet.html", context)
