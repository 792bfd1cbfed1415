"""PDF rendering shared by every printable document: weasyprint, the CJK font, city-time formatting."""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from smz.core.timeutil import CITY_TZ

# Importing weasyprint switches on Pillow's process-wide LOAD_TRUNCATED_IMAGES. Put Pillow's default
# back so photo checks elsewhere (face enrollment) still refuse half-received images; weasyprint only
# ever gets the complete images we encode ourselves. Every PDF module imports weasyprint through here.
ImageFile.LOAD_TRUNCATED_IMAGES = False

FONT_PACKAGE = "fonts-wqy-zenhei"
_FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",)


def html_pdf(html: str) -> bytes:
    """Render trusted HTML; only data: URIs resolve so nothing is read from disk or network."""
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def template_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template (autoescaped) to PDF bytes."""
    return html_pdf(render_to_string(template_name, context))


@functools.cache
def cjk_font_path() -> str:
    """Path of the CJK font file (WenQuanYi Zen Hei) for text drawn outside weasyprint."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [fc_match, "--format=%{file}", "WenQuanYi Zen Hei:lang=zh-cn"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.strip()
        # fc-match always answers with *some* font; only a CJK-capable one will do.
        if found and "wqy" in os.path.basename(found).lower() and Path(found).is_file():
            return found
    raise RuntimeError(
        f"No CJK font for photo captions: install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE})"
    )


def city_time(moment: dt.datetime) -> dt.datetime:
    """An aware moment in Zhongshan's local time; naive input is a bug, not a guess."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(CITY_TZ)


def city_stamp(moment: dt.datetime) -> str:
    """生成时间 as documents print it (2026-11-29 10:05, city time)."""
    # Formatted here, not with |date in templates, so the caller's active timezone cannot shift it.
    return f"{city_time(moment):%Y-%m-%d %H:%M}"


def cn_date(day: dt.date | None) -> str:
    """A date as forms print it (2026年11月29日); blank when unknown so it can be filled by hand."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
