"""操作指南 (附件9) inside the portal: the Markdown guides in docs/ rendered as pages and printable PDFs.

Only the files found under docs/guide, docs/interfaces, docs/devices and docs/compliance at start-up can be opened, by slug; links
between them and their screenshots are rewritten to portal URLs, so the guide reads the same offline as on GitHub.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import re
import unicodedata
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from markdown_it import MarkdownIt
from markdown_it.token import Token

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role
from smz.core.errors import NotFound

DOCS = Path(settings.BASE_DIR) / "docs"
SCREENSHOTS = DOCS / "screenshots"
SECTIONS = {
    "guide": "操作指南",
    "interfaces": "接口规范",
    "devices": "设备参数与模拟器",
    "compliance": "诚信扣分标准",
}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# Each role's own guide first; the others follow in the index.
ROLE_GUIDES: dict[str, tuple[str, ...]] = {
    Role.CITY_ADMIN: ("city", "workflows-approver", "authority"),
    Role.CITY_SUPERVISOR: ("city", "authority"),
    Role.APPROVER_L1: ("workflows-approver", "authority"),
    Role.APPROVER_L2: ("workflows-approver", "authority"),
    Role.QUALITY_CLERK: ("authority",),
    Role.WINDOW_CLERK: ("window-enrollment", "authority"),
    Role.ENTERPRISE_ADMIN: ("enterprise", "workflows-applicant", "wages-gc"),
    Role.LABOR_SPECIALIST: ("wages-labor-specialist", "enterprise", "wages-gc"),
    Role.PROJECT_MANAGER: ("project-manager", "enterprise", "workflows-applicant"),
    Role.SUPERVISION_MANAGER: ("supervision", "enterprise"),
    Role.BUILDER: ("builder",),
    Role.WORKER: ("worker",),
}


@dataclasses.dataclass(frozen=True)
class Doc:
    section: str
    slug: str
    title: str
    path: Path


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip().replace("`", "")
    return path.stem


@functools.cache
def docs() -> dict[tuple[str, str], Doc]:
    """Every document that may be opened, keyed by (section, slug)."""
    found: dict[tuple[str, str], Doc] = {}
    for section in SECTIONS:
        for path in sorted((DOCS / section).glob("*.md")):
            slug = "index" if path.stem == "README" else path.stem
            if SLUG.match(slug):
                found[(section, slug)] = Doc(section, slug, _title(path), path)
    return found


def may_read(user, section: str) -> bool:
    """Workers read the guide (their own part of it); interface specs are for staff."""
    role = user.role or (Role.CITY_ADMIN if user.is_superuser else "")
    if section == "guide":
        return True
    return role in AUTHORITY_ROLES | ENTERPRISE_ROLES


def doc_get_for(user, *, section: str, slug: str) -> Doc:
    """The document, if it exists and the user may read it (else 404)."""
    doc = docs().get((section, slug))
    if doc is None or not may_read(user, section):
        raise NotFound("文档")
    if user.role == Role.WORKER and slug not in ("worker", "index"):
        raise NotFound("文档")
    return doc


def docs_for(user) -> list[Doc]:
    """The index: the role's own guides first, then every other document the user may read."""
    role = user.role or (Role.CITY_ADMIN if user.is_superuser else "")
    own = [docs()[("guide", s)] for s in ROLE_GUIDES.get(role, ()) if ("guide", s) in docs()]
    if role == Role.WORKER:
        return own
    rest = [d for d in docs().values() if d not in own and may_read(user, d.section)]
    return own + rest


def role_guide_url(user) -> str:
    """帮助: the user's own guide."""
    role = user.role or (Role.CITY_ADMIN if user.is_superuser else "")
    slugs = ROLE_GUIDES.get(role)
    slug = slugs[0] if slugs else "index"
    return reverse("portal:guide_doc", args=["guide", slug])


def heading_anchor(text: str) -> str:
    """GitHub's heading anchors, so links written for the repository work here: 四、进场核验 → 四进场核验."""
    text = text.strip().lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in {"L", "N"})
    return kept.replace(" ", "-")


def _link(href: str, doc: Doc, *, pdf: bool) -> str:
    """A link as written in docs/ → the portal's URL for it (external links are left alone)."""
    if re.match(r"^[a-z]+:", href) or href.startswith("#"):
        return href
    target, _, anchor = href.partition("#")
    resolved = (doc.path.parent / target).resolve()
    if resolved.suffix == ".md" and resolved.parent.parent == DOCS.resolve():
        section = resolved.parent.name
        slug = "index" if resolved.stem == "README" else resolved.stem
        if (section, slug) in docs():
            url = reverse("portal:guide_doc", args=[section, slug])
            return url + (f"#{anchor}" if anchor else "")
    return href


def _image(src: str, doc: Doc, *, pdf: bool) -> str:
    resolved = (doc.path.parent / src).resolve()
    if resolved.parent != SCREENSHOTS.resolve() or not resolved.is_file():
        return src
    if pdf:  # weasyprint reads nothing from disk: the picture goes in as a data: URI
        return "data:image/png;base64," + base64.b64encode(resolved.read_bytes()).decode()
    return reverse("portal:guide_screenshot", args=[resolved.name])


def _cjk(char: str) -> bool:
    return bool(char) and (unicodedata.east_asian_width(char) in {"W", "F"})


def _softbreak(
    renderer: object, tokens: list[Token], idx: int, options: object, env: object
) -> str:
    """A line break inside a paragraph: nothing between Chinese characters (a space would show), else a space."""
    before = tokens[idx - 1].content[-1:] if idx > 0 else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
    return "" if _cjk(before) or _cjk(after) else "\n"


def render(doc: Doc, *, pdf: bool = False) -> str:
    """The document as HTML (raw HTML in the Markdown is escaped, not passed through)."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("softbreak", _softbreak)
    tokens = md.parse(doc.path.read_text(encoding="utf-8"))
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[i + 1]
            token.attrSet("id", heading_anchor(inline.content))
        for child in token.children or []:
            _rewrite(child, doc, pdf=pdf)
    return md.renderer.render(tokens, md.options, {})


def _rewrite(token: Token, doc: Doc, *, pdf: bool) -> None:
    if token.type == "link_open":
        token.attrSet("href", _link(str(token.attrGet("href") or ""), doc, pdf=pdf))
    elif token.type == "image":
        token.attrSet("src", _image(str(token.attrGet("src") or ""), doc, pdf=pdf))
        token.attrSet("loading", "lazy")


def screenshot_path(name: str) -> Path:
    """A screenshot by file name; nothing outside docs/screenshots."""
    if not re.match(r"^[a-z0-9][a-z0-9_-]{0,80}\.png$", name):
        raise NotFound("截图")
    path = SCREENSHOTS / name
    if not path.is_file():
        raise NotFound("截图")
    return path
