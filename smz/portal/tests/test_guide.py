"""操作指南 in the portal (issue 11 item 8): each role's guide, rendered from docs/, every link and screenshot in
place, a printable PDF; workers read only their own guide; nothing outside docs/ can be opened."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from smz.portal import guide


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a.get("src", ""))


def _refs(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("persona", "own"),
    [
        ("city_admin", "city"),
        ("town_l1", "workflows-approver"),
        ("window_clerk", "window-enrollment"),
        ("gc_labor", "wages-labor-specialist"),
        ("gc_pm", "project-manager"),
        ("sup_manager", "supervision"),
        ("worker", "worker"),
    ],
)
def test_help_leads_each_role_to_its_own_guide(as_user, persona, own):
    client = as_user(persona)
    home = client.get("/", follow=True).content.decode()
    assert f'href="/guide/guide/{own}/"' in home  # 帮助 in the navbar
    index = client.get("/guide/").content.decode()
    assert re.findall(r'href="(/guide/[a-z]+/[a-z0-9-]+/)"', index)[0] == f"/guide/guide/{own}/"
    r = client.get(f"/guide/guide/{own}/")
    assert r.status_code == 200
    assert guide.docs()[("guide", own)].title in r.content.decode()


def test_every_link_and_screenshot_in_every_document_resolves(as_user):
    client = as_user("city_admin")
    pages: dict[str, _Refs] = {}
    for section, slug in guide.docs():
        r = client.get(f"/guide/{section}/{slug}/")
        assert r.status_code == 200, (section, slug)
        article = r.content.decode().split('data-testid="guide">', 1)[1].split("</article>")[0]
        pages[f"/guide/{section}/{slug}/"] = _refs(article)
    for url, refs in pages.items():
        for src in refs.images:
            assert src.startswith("/guide/shots/"), (url, src)
            assert client.get(src).status_code == 200, (url, src)
        for href in refs.links:
            if re.match(r"^[a-z]+:", href):
                continue
            path, _, anchor = href.partition("#")
            target = pages.get(path or url)
            assert target is not None, (url, href)
            if anchor:
                assert unquote(anchor) in target.ids, (url, href)


def test_every_screenshot_has_its_place_in_a_document():
    """Issue 11 item 8: a screenshot no document shows is a page the guide forgot to explain."""
    shots = {p.name for p in guide.SCREENSHOTS.glob("*.png")}
    assert shots  # the browser tests write them; an empty folder would make this test vacuous
    shown: set[str] = set()
    for path in guide.DOCS.rglob("*.md"):
        shown |= set(
            re.findall(r"screenshots/([a-z0-9_-]+\.png)", path.read_text(encoding="utf-8"))
        )
    assert sorted(shots - shown) == [], "截图未在任何文档中使用：请写入相应的操作指南章节"


def test_the_supervision_and_project_manager_guides_are_listed_in_the_index():
    index = guide.docs()[("guide", "index")].path.read_text(encoding="utf-8")
    enterprise = guide.docs()[("guide", "enterprise")].path.read_text(encoding="utf-8")
    for slug in ("supervision", "project-manager"):
        assert ("guide", slug) in guide.docs()
        assert f"({slug}.md)" in index and f"({slug}.md)" in enterprise


@pytest.mark.parametrize(
    ("persona", "slug"),
    [
        ("gc_labor", "wages-labor-specialist"),
        ("sup_manager", "supervision"),
        ("gc_pm", "project-manager"),
    ],
)
def test_printable_pdf_of_a_guide_has_its_text_and_pictures(as_user, persona, slug):
    r = as_user(persona).get(f"/guide/guide/{slug}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and r.content.count(b"/Subtype /Image") >= 1


def test_workers_read_only_their_own_guide_and_anonymous_users_log_in(client, as_user):
    assert client.get("/guide/").status_code == 302
    assert client.get("/guide/guide/worker/").status_code == 302
    worker = as_user("worker")
    assert worker.get("/guide/guide/worker/").status_code == 200
    assert worker.get("/guide/guide/city/").status_code == 404
    assert worker.get("/guide/interfaces/api/").status_code == 404
    index = worker.get("/guide/").content.decode()
    assert "/guide/guide/city/" not in index


@pytest.mark.parametrize(
    "url",
    [
        "/guide/guide/..%2F..%2Fconfig%2Fsettings/",
        "/guide/screenshots/x/",
        "/guide/guide/no-such-guide/",
        "/guide/shots/..%2F..%2FREADME.md",
        "/guide/shots/missing.png",
    ],
)
def test_nothing_outside_the_docs_can_be_opened(as_user, url):
    assert as_user("city_admin").get(url).status_code == 404


def test_raw_html_in_a_document_is_escaped(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("# 标题\n\n<script>alert(1)</script>\n\n[外链](javascript:alert(1))\n")
    html = guide.render(guide.Doc("guide", "x", "标题", path))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_heading_anchors_match_github():
    assert guide.heading_anchor("四、进场核验") == "四进场核验"
    assert (
        guide.heading_anchor("2. 代发结果文件 (result file, bank → platform)")
        == "2-代发结果文件-result-file-bank--platform"
    )


def test_a_line_break_between_chinese_characters_adds_no_space(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("# 标题\n\n点开为「设备」\n页的离线设备；English\nwords stay apart.\n")
    html = guide.render(guide.Doc("guide", "x", "标题", path))
    assert "点开为「设备」页的离线设备；English\nwords stay apart." in html
