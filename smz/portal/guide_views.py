"""操作指南 pages: the index, one document, its printable PDF, and the screenshots it shows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from smz.core.pdf import template_pdf
from smz.portal import guide


@login_required
def guide_index(request: HttpRequest) -> HttpResponse:
    docs = [(doc, guide.SECTIONS[doc.section]) for doc in guide.docs_for(request.user)]
    return render(request, "portal/guide_index.html", {"docs": docs})


@login_required
def guide_doc(request: HttpRequest, section: str, slug: str) -> HttpResponse:
    doc = guide.doc_get_for(request.user, section=section, slug=slug)
    html = mark_safe(guide.render(doc))
    return render(
        request,
        "portal/guide_doc.html",
        {"doc": doc, "html": html, "section_label": guide.SECTIONS[section]},
    )


@login_required
def guide_pdf(request: HttpRequest, section: str, slug: str) -> HttpResponse:
    doc = guide.doc_get_for(request.user, section=section, slug=slug)
    html = mark_safe(guide.render(doc, pdf=True))
    data = template_pdf("portal/pdf/guide.html", {"doc": doc, "html": html})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="guide-{doc.slug}.pdf"'
    return response


@login_required
def guide_screenshot(request: HttpRequest, name: str) -> FileResponse:
    return FileResponse(guide.screenshot_path(name).open("rb"), content_type="image/png")
