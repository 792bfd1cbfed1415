"""Issue 10 item 10: a strict Content-Security-Policy on every page, and templates that need nothing inline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import smz

TEMPLATES = sorted(Path(smz.__file__).parent.glob("*/templates/**/*.html"))
# Rendered to PDF by weasyprint, never served to a browser.
PDF_ONLY = re.compile(r"/templates/[^/]+/pdf/")


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize("persona", [None, "gc_labor", "city_admin"])
def test_issue10_item10_pages_carry_a_strict_csp(world, client, as_user, persona):
    if persona:
        as_user(persona)
    response = client.get("/" if persona else "/login/", follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_issue10_item10_the_api_answers_carry_the_csp_too(world, client, as_user):
    as_user("gc_labor")
    response = client.get("/api/v1/me")
    assert response.status_code == 200 and "Content-Security-Policy" in response.headers


def test_issue10_item10_templates_hold_no_inline_script_handler_or_style():
    assert len(TEMPLATES) > 20
    offences = []
    for path in TEMPLATES:
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            attrs, body = match.groups()
            # JSON data blocks are not executed; everything else must be an external file.
            if body.strip() and 'type="application/json"' not in attrs:
                offences.append(f"{path}: inline <script>")
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offences.append(f"{path}: <script> without src")
        for match in re.finditer(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", text):
            offences.append(f"{path}: event handler attribute {match.group(0)[:60]!r}")
        if "javascript:" in text:
            offences.append(f"{path}: javascript: URL")
        inline_style = re.search(r"<[a-zA-Z][^<>]*\sstyle\s*=", text) or "<style" in text
        if inline_style and not PDF_ONLY.search(str(path)):
            offences.append(f"{path}: inline style")
    assert offences == []


def test_issue10_item10_htmx_injects_no_indicator_style(world, client):
    html = client.get("/login/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>' in html
    assert "portal/portal.js" in html
