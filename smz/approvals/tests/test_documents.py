"""Application forms 附件3–5 and the photo sheet (X3–X5, WF6): text, fonts, captions, and page images."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFile, ImageFont, ImageStat
from weasyprint.urls import FatalURLFetchingError

from smz.approvals.documents import (
    FORM_TITLES,
    FormData,
    StampedPhoto,
    form_pdf,
    photo_sheet_pdf,
    photo_stamp,
)
from smz.core import pdf
from smz.core.errors import DomainError
from smz.core.timeutil import CITY_TZ

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
FACE = (ROOT / "smz" / "attendance" / "fixtures" / "face.jpg").read_bytes()
# 10:05 in Zhongshan; the forms must print local time, not UTC.
GENERATED = dt.datetime(2026, 11, 29, 2, 5, tzinfo=dt.UTC)
UPLOADED = dt.datetime(2026, 11, 29, 1, 30, tzinfo=dt.UTC)
ATTACHMENT = {"start_change": 3, "suspension": 4, "resumption": 5}
REASON = (
    "因征地拆迁补偿协议尚未全部签订，现场“三通一平”未完成，\n"
    "无法按原计划开工，申请将开工日期变更至2026年12月15日。"
)


def _form(kind: str = "start_change", **changes: object) -> FormData:
    data = FormData(
        kind=kind,
        request_no="SQ2026112900012",
        project_name="中山市小榄镇滨江花园二期住宅楼及地下室工程",
        project_code="4420002026010012",
        permit_no="442000202601150101",
        permit_issued_on=dt.date(2026, 1, 15),
        address="中山市小榄镇升平中路 88 号",
        jurisdiction="小榄镇",
        builder="中山市滨江置业有限公司",
        contractor="广东省建工集团有限公司",
        supervisor="中山市建设监理有限公司",
        planned_start=dt.date(2026, 3, 1),
        requested_date=dt.date(2026, 12, 15),
        reason=REASON,
        applicant="李明",
        applicant_phone="138****5678",
        generated_at=GENERATED,
        permit_valid_until=dt.date(2026, 12, 31),
        extensions_used=1,
    )
    return dataclasses.replace(data, **changes)


def _poppler(tool: str, *args: str, stdin: bytes | None = None) -> bytes:
    """Run a poppler-utils tool; its absence fails the test because CI installs it."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], input=stdin, capture_output=True, check=True).stdout


def _write(tmp_path: Path, pdf: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def _text(path: Path) -> str:
    """The PDF's text with all whitespace removed, so wrapped lines compare whole."""
    return re.sub(r"\s+", "", _poppler("pdftotext", "-enc", "UTF-8", str(path), "-").decode())


def _row(path: Path, label: str) -> str:
    """The laid-out line holding a label, whitespace removed: a table row with its values."""
    text = _poppler("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-").decode()
    return next(_squash(line) for line in text.splitlines() if label in line)


def _first_page_words(path: Path) -> dict[str, tuple[float, float]]:
    """Words on page 1 with their top and bottom (points from the top edge)."""
    html = _poppler("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-").decode()
    pattern = r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>'
    return {w: (float(top), float(bottom)) for top, bottom, w in re.findall(pattern, html)}


def _pages(path: Path) -> int:
    info = _poppler("pdfinfo", str(path)).decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def _render_page1(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = path.with_suffix("")
    _poppler(
        "pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(path), str(prefix)
    )
    shutil.copyfile(prefix.with_suffix(".png"), target)


def _jpeg(img: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, **save)
    return buf.getvalue()


def _with_exif_time(image: bytes, when: str, *, tag: int = 36867) -> bytes:
    img = Image.open(io.BytesIO(image))
    exif = Image.Exif()
    if tag == 36867:
        exif.get_ifd(0x8769)[36867] = when
    else:
        exif[tag] = when
    return _jpeg(img, exif=exif)


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


# Application forms


@pytest.mark.parametrize("kind", ["start_change", "suspension", "resumption"])
def test_form_prints_title_project_date_reason_and_stamp_boxes(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, form_pdf(_form(kind)))
    text = _text(path)
    assert FORM_TITLES[kind] in text
    assert f"附件{ATTACHMENT[kind]}" in text
    assert "中山市小榄镇滨江花园二期住宅楼及地下室工程" in text
    assert "SQ2026112900012" in text
    assert "2026年12月15日" in text
    assert _squash(REASON) in text
    for party in ("建设单位（盖章）", "施工单位（盖章）", "监理单位（盖章）"):
        assert party in text
    assert "负责人签字" in text
    assert "一级审核" in text
    assert "二级审批" in text
    assert "生成时间：2026-11-2910:05" in text
    assert _pages(path) == 1


def test_form_titles_carry_the_platform_prefix() -> None:
    prefix = "中山市房屋建筑和市政基础设施工程项目施工现场实名制管理平台"
    expected = {
        "start_change": prefix + "开工日期变更申请表",
        "suspension": prefix + "停工申请表",
        "resumption": prefix + "复工申请表",
    }
    assert dict(FORM_TITLES) == expected


def test_start_change_shows_dates_validity_and_extensions(tmp_path: Path) -> None:
    path = _write(tmp_path, form_pdf(_form("start_change")))
    assert _row(path, "原拟开工日期") == "原拟开工日期2026年3月1日2026年12月15日"
    assert "申请变更后开工日期" in _text(path)
    assert _row(path, "已延期次数") == "2026年12月31日已延期次数1/2次"


def test_suspension_and_resumption_state_the_attendance_rule(tmp_path: Path) -> None:
    stop = _write(tmp_path, form_pdf(_form("suspension")), "stop.pdf")
    assert _row(stop, "停工起始日期") == "停工起始日期2026年12月15日"
    assert _row(stop, "说明") == "说明审批通过前现场岗位人员须照常考勤。"
    resume = _write(tmp_path, form_pdf(_form("resumption")), "resume.pdf")
    assert _row(resume, "复工日期") == "复工日期2026年12月15日"
    assert _row(resume, "说明") == "说明审批通过后现场岗位人员照常考勤。"


def test_form_embeds_a_cjk_font(tmp_path: Path) -> None:
    fonts = _poppler("pdffonts", str(_write(tmp_path, form_pdf(_form())))).decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows
    # Columns from the right: object id (2), uni, sub, emb.
    assert all(row[-5] == "yes" for row in rows), fonts
    assert all("Noto-Sans-SC" in row[0] for row in rows), fonts


def test_form_escapes_what_applicants_type(tmp_path: Path) -> None:
    reason = '<b>加粗</b><img src="http://example.com/x.png"> & 其他'
    text = _text(_write(tmp_path, form_pdf(_form(reason=reason))))
    assert _squash(reason) in text


def test_long_reason_wraps_and_is_printed_whole(tmp_path: Path) -> None:
    reason = "受连续强降雨影响基坑需要重新支护。" * 80 + "理由结束标记"
    path = _write(tmp_path, form_pdf(_form(reason=reason)))
    text = _text(path)
    assert "理由结束标记" in text
    assert text.count("受连续强降雨影响基坑需要重新支护。") == 80
    assert _pages(path) >= 2
    assert "二级审批" in text


def test_missing_optional_facts_print_blank(tmp_path: Path) -> None:
    data = _form(supervisor="", permit_issued_on=None, permit_valid_until=None)
    path = _write(tmp_path, form_pdf(data))
    assert _row(path, "监理单位") == "监理单位无"
    assert _row(path, "发证日期") == "施工许可证号442000202601150101发证日期"
    assert _row(path, "已延期次数") == "已延期次数1/2次"


def test_form_refuses_unknown_kind_and_naive_time() -> None:
    with pytest.raises(ValueError, match="unknown form kind"):
        form_pdf(_form("cancellation"))
    with pytest.raises(ValueError, match="naive"):
        form_pdf(_form(generated_at=dt.datetime(2026, 11, 29, 10, 5)))


def test_start_change_screenshot(tmp_path: Path) -> None:
    path = _write(tmp_path, form_pdf(_form()))
    _render_page1(path, SCREENSHOTS / "pdf-start-change.png")
    with Image.open(SCREENSHOTS / "pdf-start-change.png") as img:
        # A4 at 70 dpi is 579 × 819 px.
        assert img.size == (579, 819)


# Photo stamp


def test_exif_time_is_read_as_city_time() -> None:
    image = _with_exif_time(FACE, "2026:11:20 09:30:00")
    exif = Image.open(io.BytesIO(image)).getexif()
    assert exif.get_ifd(0x8769)[36867] == "2026:11:20 09:30:00"
    stamped = photo_stamp(image, project_name="滨江花园", uploaded_at=UPLOADED)
    assert stamped.time_source == "exif"
    assert stamped.taken_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=CITY_TZ)


def test_exif_datetime_tag_is_the_fallback() -> None:
    image = _with_exif_time(FACE, "2026:11:21 16:45:10", tag=306)
    stamped = photo_stamp(image, project_name="滨江花园", uploaded_at=UPLOADED)
    assert stamped.time_source == "exif"
    assert stamped.taken_at == dt.datetime(2026, 11, 21, 16, 45, 10, tzinfo=CITY_TZ)


@pytest.mark.parametrize("raw", ["0000:00:00 00:00:00", "    :  :     :  :  ", "garbage"])
def test_unusable_exif_time_falls_back_to_upload(raw: str) -> None:
    stamped = photo_stamp(_with_exif_time(FACE, raw), project_name="滨江花园", uploaded_at=UPLOADED)
    assert stamped.time_source == "upload"


def test_without_exif_the_upload_time_is_used() -> None:
    stamped = photo_stamp(FACE, project_name="滨江花园", uploaded_at=UPLOADED)
    assert stamped.time_source == "upload"
    assert stamped.taken_at == UPLOADED
    assert stamped.taken_at.utcoffset() == dt.timedelta(hours=8)


def test_caption_is_drawn_lower_right_only() -> None:
    stamped = photo_stamp(FACE, project_name="中山市小榄镇滨江花园二期", uploaded_at=UPLOADED)
    before, after = _open(FACE), _open(stamped.jpeg)
    assert after.size == before.size == (640, 480)
    w, h = before.size
    lower_right = (w * 3 // 4, h * 7 // 8, w, h)
    upper_left = (0, 0, w // 2, h // 2)
    assert _mean_diff(before.crop(lower_right), after.crop(lower_right)) > 25
    assert _mean_diff(before.crop(upper_left), after.crop(upper_left)) < 3


def test_output_is_a_resized_jpeg_without_the_original_exif() -> None:
    big = Image.new("RGB", (4000, 3000), (90, 140, 60))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:11:20 09:30:00"
    exif[0x010F] = "ACME phone"
    stamped = photo_stamp(_jpeg(big, exif=exif), project_name="滨江花园", uploaded_at=UPLOADED)
    out = Image.open(io.BytesIO(stamped.jpeg))
    assert out.format == "JPEG"
    assert out.size == (1600, 1200)
    assert dict(out.getexif()) == {}


def test_exif_orientation_is_applied() -> None:
    # Stored landscape, left half red; orientation 6 means "rotate 90° clockwise to view".
    img = Image.new("RGB", (400, 200), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    stamped = photo_stamp(_jpeg(img, exif=exif), project_name="滨江花园", uploaded_at=UPLOADED)
    out = _open(stamped.jpeg)
    assert out.size == (200, 400)
    red, _, blue = out.getpixel((20, 20))
    assert red > 200
    assert blue < 60


def test_png_with_transparency_is_flattened() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(buf, "PNG")
    stamped = photo_stamp(buf.getvalue(), project_name="滨江花园", uploaded_at=UPLOADED)
    assert _open(stamped.jpeg).getpixel((5, 5)) >= (250, 250, 250)


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a photo", b"<html></html>", b""])
def test_non_image_is_refused(data: bytes) -> None:
    with pytest.raises(DomainError) as exc:
        photo_stamp(data, project_name="滨江花园", uploaded_at=UPLOADED)
    assert exc.value.code == "upload.type"
    assert "file" in exc.value.detail["fields"]


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_photo_is_refused_as_corrupt(cut: float) -> None:
    with pytest.raises(DomainError) as exc:
        photo_stamp(FACE[: int(len(FACE) * cut)], project_name="滨江花园", uploaded_at=UPLOADED)
    assert exc.value.code == "upload.corrupt"


def test_importing_documents_keeps_pillow_strict() -> None:
    # weasyprint turns this on at import; a half-received face photo must still fail elsewhere.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_cjk_font_ships_with_the_project() -> None:
    # Issue 11.1: a fresh machine has no system CJK font and no root to install one.
    path = Path(pdf.cjk_font_path())
    assert path.is_relative_to(Path(pdf.__file__).resolve().parent)
    font = ImageFont.truetype(str(path), 20)
    # Rare name characters outside GB2312 (喆, 堃, 镕) must draw as glyphs, not as empty boxes.
    for char in "喆堃镕中山":
        assert font.getmask(char).getbbox() is not None, char
    assert (path.parent / "OFL.txt").read_text().startswith("Copyright")


def test_pdf_reads_no_file_but_the_shipped_font() -> None:
    html = '<p>测试</p><img src="file:///etc/hostname">'
    with pytest.raises(FatalURLFetchingError, match="/etc/hostname"):
        pdf.html_pdf(html)


# Photo sheet


def _photos() -> list[StampedPhoto]:
    name = "中山市小榄镇滨江花园二期住宅楼及地下室工程"
    exif_photo = photo_stamp(
        _with_exif_time(FACE, "2026:11:20 09:30:00"), project_name=name, uploaded_at=UPLOADED
    )
    upload_photo = photo_stamp(FACE, project_name=name, uploaded_at=UPLOADED)
    return [exif_photo, upload_photo]


def test_photo_sheet_lists_photos_with_their_times(tmp_path: Path) -> None:
    photos = _photos()
    pdf = photo_sheet_pdf(
        project_name="中山市小榄镇滨江花园二期住宅楼及地下室工程",
        request_no="SQ2026112900012",
        title="施工现场情况照片",
        photos=[*photos, photos[0]],
        generated_at=GENERATED,
    )
    path = _write(tmp_path, pdf)
    text = _text(path)
    assert "施工现场情况照片" in text
    assert "中山市小榄镇滨江花园二期住宅楼及地下室工程" in text
    assert "SQ2026112900012" in text
    assert "照片1拍摄时间2026-11-2009:30" in text
    assert "照片2上传时间2026-11-2909:30（无拍摄时间）" in text
    assert "照片3拍摄时间" in text
    assert _pages(path) == 2
    assert text.count("施工单位（盖章）") == 2
    listing = _poppler("pdfimages", "-list", str(path)).decode().splitlines()[2:]
    assert len([row for row in listing if row.strip()]) == 3


def test_photo_sheet_needs_photos() -> None:
    with pytest.raises(ValueError, match="at least one photo"):
        photo_sheet_pdf(
            project_name="滨江花园",
            request_no="SQ1",
            title="照片",
            photos=[],
            generated_at=GENERATED,
        )


def test_photo_sheet_screenshot(tmp_path: Path) -> None:
    pdf = photo_sheet_pdf(
        project_name="中山市小榄镇滨江花园二期住宅楼及地下室工程",
        request_no="SQ2026112900012",
        title="施工现场情况照片",
        photos=_photos(),
        generated_at=GENERATED,
    )
    path = _write(tmp_path, pdf)
    assert _pages(path) == 1
    words = _first_page_words(path)
    # The second caption must clear the stamp box pinned to the page bottom.
    assert words["照片2"][1] + 10 < words["施工单位（盖章）"][0]
    _render_page1(path, SCREENSHOTS / "pdf-photo-sheet.png")
    assert (SCREENSHOTS / "pdf-photo-sheet.png").stat().st_size > 10_000
