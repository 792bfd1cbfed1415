"""附件2 (docs/devices/video.md, X2) says what the code does: its example ids, digest, message lengths, settings,
error codes and links are checked here, so a vendor who certifies against the document meets the platform."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings

from smz.video.errors import VideoErrorCode
from smz.video.gbid import DEVICE_TYPES, PLATFORM_TYPE, GbIdError, gb_id_parse

DOC = Path(__file__).resolve().parents[3] / "docs" / "devices" / "video.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```[a-z]*\n(.*?)```", TEXT, flags=re.S)


def _md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()  # noqa: S324 - SIP digest is MD5 by definition


def _wire_length(body: str) -> int:
    """Bytes on the wire: every line ends in CRLF, encoded as the XML declaration says."""
    encoding = re.search(r'encoding="([^"]+)"', body)
    assert encoding, body[:80]
    return len(body.replace("\n", "\r\n").encode(encoding.group(1)))


def test_example_ids_are_judged_as_the_document_says():
    rows = re.findall(r"^\| `(\d{20})` \| (.+) \|$", TEXT, flags=re.M)
    assert len(rows) >= 6
    for gb_id, meaning in rows:
        if "SIP 服务器" in meaning:
            gb_id_parse(gb_id, allowed_types={PLATFORM_TYPE: "平台"})
        elif "不合格" in meaning:
            with pytest.raises(GbIdError):
                gb_id_parse(
                    gb_id, city_code=settings.SMZ_VIDEO_CITY_CODE, allowed_types=DEVICE_TYPES
                )
        else:
            gb_id_parse(gb_id, city_code=settings.SMZ_VIDEO_CITY_CODE, allowed_types=DEVICE_TYPES)


def test_every_id_in_the_document_is_twenty_digits_of_the_city():
    for gb_id in set(re.findall(r"(?<!\d)4\d{19}(?!\d)", TEXT)):
        if gb_id.startswith("440106"):  # the document's example of a wrong city
            continue
        assert gb_id.startswith(settings.SMZ_VIDEO_CITY_CODE), gb_id


def test_the_digest_example_computes():
    auth = next(b for b in BLOCKS if "Authorization: Digest" in b)
    fields = dict(
        re.findall(r'(\w+)="([^"]*)"', auth.split("Authorization: Digest", 1)[1].splitlines()[0])
    )
    password = re.search(r"注册密码为示例值 `([^`]+)`", TEXT).group(1)
    ha1 = _md5(f"{fields['username']}:{fields['realm']}:{password}")
    ha2 = _md5(f"REGISTER:{fields['uri']}")
    assert ha1 in TEXT and ha2 in TEXT
    assert fields["response"] == _md5(f"{ha1}:{fields['nonce']}:{ha2}")
    assert fields["realm"] == settings.SMZ_SIP_SERVER_ID[:10]
    assert fields["uri"] == f"sip:{settings.SMZ_SIP_SERVER_ID}@{fields['realm']}"


def test_content_lengths_match_the_bodies():
    checked = 0
    for block in BLOCKS:
        if "\n\n<?xml" in block:
            head, body = block.split("\n\n", 1)
            stated = int(re.search(r"^Content-Length: (\d+)$", head, flags=re.M).group(1))
            assert stated == _wire_length(body), head.splitlines()[0]
            checked += 1
        elif block.startswith("<?xml"):
            before = TEXT[: TEXT.index(block)][-200:]
            stated = int(re.findall(r"Content-Length: (\d+)", before)[-1])
            assert stated == _wire_length(block), block.splitlines()[2]
            checked += 1
    assert checked >= 5


def test_settings_named_in_the_document_exist_and_agree():
    for name in set(re.findall(r"`(SMZ_[A-Z_]+)`", TEXT)):
        assert hasattr(settings, name), name
    start, end = settings.SMZ_VIDEO_WORKING_HOURS
    assert f"{start}–{end}" in TEXT
    assert f"容差（{settings.SMZ_VIDEO_GAP_TOLERANCE_MINUTES} 分钟）" in TEXT
    keepalive = settings.SMZ_SIP_KEEPALIVE_SECONDS
    missed = settings.SMZ_SIP_MISSED_KEEPALIVES
    assert f"每 {keepalive} s 发送一次保活" in TEXT
    assert f"连续 {missed} 个保活周期" in TEXT and f"{keepalive * missed} s" in TEXT


def test_error_codes_named_in_the_document_exist():
    codes = set(re.findall(r"`(video\.[a-z_]+)`", TEXT))
    assert codes
    assert codes <= {c.value for c in VideoErrorCode}, codes - {c.value for c in VideoErrorCode}


def test_relative_links_resolve():
    for target in re.findall(r"\]\((?!https?:)([^)#]+)(?:#([^)]+))?\)", TEXT):
        path, anchor = target
        linked = (DOC.parent / path).resolve()
        assert linked.is_file(), path
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), flags=re.M)
            assert anchor in {h.strip().lower() for h in headings}, anchor
