"""Names for files in private storage, and how a stored upload is served back."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from smz.core.uploads import CONTENT_TYPES, EXTENSIONS, pdf_active_parts, upload_kind


def private_name(prefix: str, filename: str, *, default_suffix: str = ".jpg") -> str:
    """Unguessable, meaningless names: no ID number, person name or document title ever appears in a path."""
    suffix = PurePosixPath(filename).suffix.lower()[:5] or default_suffix
    return f"{prefix}/{uuid.uuid4().hex}{suffix}"


# Served user files: the browser must never run what a tenant uploaded. Images and clean PDFs are shown
# inline; anything else is a download. A sandboxing CSP keeps scripts from running even if a browser
# sniffs; PDFs shown inline carry no sandbox because browsers' PDF viewers refuse sandboxed documents,
# which is why a PDF is shown inline only when it carries no active content.
_SANDBOX = "sandbox"


def user_file_response(*, data: bytes, filename: str) -> HttpResponse:
    """A stored upload served by its content: image or clean PDF inline, anything else as a download."""
    kind = upload_kind(data)
    inline = kind in ("jpeg", "png") or (kind == "pdf" and not pdf_active_parts(data))
    content_type = CONTENT_TYPES[kind] if kind else "application/octet-stream"
    # The name's suffix follows the content, so a download cannot be saved as .html or .svg.
    name = PurePosixPath(filename or "file").stem + (EXTENSIONS[kind] if kind else ".bin")
    response = HttpResponse(data, content_type=content_type)
    disposition = content_disposition_header(not inline, name)
    if disposition is not None:  # None only for an empty name; `name` always ends in a suffix
        response["Content-Disposition"] = disposition
    return user_file_headers(response, sandbox=not (inline and kind == "pdf"))


def user_file_headers[R: HttpResponseBase](response: R, *, sandbox: bool = True) -> R:
    """No sniffing, no caching, and (unless a PDF shown inline) a sandbox: for every served user file."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if sandbox:
        response["Content-Security-Policy"] = _SANDBOX
    return response
