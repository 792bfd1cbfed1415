"""PDF rendering shared by every printable document: weasyprint, the CJK font, city-time formatting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from PIL import ImageFile
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from smz.core.timeutil import CITY_TZ

# Importing weasyprint switches on Pillow's process-wide LOAD_TRUNCATED_IMAGES. Put Pillow's default
# back so photo checks elsewhere (face enrollment) still refuse half-received images; weasyprint only
# ever gets the complete images we encode ourselves. Every PDF module imports weasyprint through here.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The CJK font ships with the project (Noto Sans SC, SIL Open Font License 1.1, fonts/OFL.txt), so a
# fresh machine without root renders every PDF and photo caption the same way, with no system font.
FONT_FAMILY = "Noto Sans SC"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Regular.ttf"
_FONT_FACE = f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{FONT_FILE.as_uri()}"); }}'


class _Fetcher(URLFetcher):
    """data: URIs and the shipped font file, nothing else: no other file, no network."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("file:") and url != FONT_FILE.as_uri():
            raise ValueError("only the shipped font may be read from disk")
        return super().fetch(url, headers)


def html_pdf(html: str) -> bytes:
    """Render trusted HTML; only data: URIs (and the shipped font) resolve, nothing from network."""
    fetcher = _Fetcher(allowed_protocols={"data", "file"}, fail_on_errors=True)
    fonts = FontConfiguration()
    face = CSS(string=_FONT_FACE, font_config=fonts, url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[face], font_config=fonts)


def template_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template (autoescaped) to PDF bytes."""
    return html_pdf(render_to_string(template_name, context))


def cjk_font_path() -> str:
    """Path of the shipped CJK font file, for text drawn outside weasyprint (photo captions)."""
    return str(FONT_FILE)


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
