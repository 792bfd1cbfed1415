"""Issue 10 item 6 (N2): no personal number in a URL (so none in access logs, history or Referer), searches
by ID number are POSTed, and pages and API answers with personal data are never cached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from smz.core.pii import mask_id_number

PERSONAL = ("id_number", "phone", "bank_card")
IN_QUERY = re.compile(r"[?&](?:{})=".format("|".join(PERSONAL)))
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
NAMED = re.compile(r"""name=["'](?:{})["']""".format("|".join(PERSONAL)))


def _templates() -> list[Path]:
    return sorted((Path(settings.BASE_DIR) / "smz").glob("*/templates/**/*.html"))


def test_issue10_item6_no_template_puts_a_personal_number_in_a_url():
    offenders = []
    for path in _templates():
        text = path.read_text()
        if IN_QUERY.search(text):
            offenders.append(f"{path}: link with a personal number in its query")
        for attrs, body in FORM.findall(text):
            method = re.search(r"""method=["'](\w+)["']""", attrs)
            if NAMED.search(body) and (method is None or method.group(1).lower() != "post"):
                offenders.append(f"{path}: GET form with a personal-number field")
    assert _templates() and offenders == []


def test_issue10_item6_no_code_builds_a_url_with_a_personal_number():
    root = Path(settings.BASE_DIR) / "smz"
    offenders = [
        str(p)
        for p in root.rglob("*.py")
        if "tests" not in p.parts and IN_QUERY.search(p.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("persona", "url"),
    [("gc_labor", "/workers/"), ("window_clerk", "/window/enroll/")],
)
def test_issue10_item6_id_number_in_a_page_url_is_refused(as_user, world, persona, url):
    number = world.workers["sub"].id_number
    r = as_user(persona).get(url, {"id_number": number})
    assert r.status_code == 400
    body = r.content.decode()
    assert 'data-code="pii.id_in_url"' in body and number not in body


def test_issue10_item6_window_finds_a_person_by_posted_id_number(as_user, world):
    worker = world.workers["sub"]
    r = as_user("window_clerk").post(
        reverse("approvals:enroll_list"), {"id_number": worker.id_number}
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert f"找到：{worker.name}" in body and reverse("approvals:enroll", args=[worker.pk]) in body
    assert worker.id_number not in body and mask_id_number(worker.id_number) in body


def test_issue10_item6_pages_and_api_answers_are_not_cached(as_user, world):
    client = as_user("gc_labor")
    worker = world.workers["gc"]
    for url in (
        f"/workers/{worker.pk}/",
        "/workers/",
        f"/api/v1/workers/{worker.pk}",
        "/api/v1/workers",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "no-store" in r["Cache-Control"] and r["Pragma"] == "no-cache", url
    search = client.post(
        "/api/v1/workers/search", {"id_number": worker.id_number}, content_type="application/json"
    )
    assert "no-store" in search["Cache-Control"]
