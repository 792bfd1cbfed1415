"""Request facts that depend on the deployment (proxies): one place to change how they are read."""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the request came from ("" when unknown). REMOTE_ADDR only: a trusted-proxy setting,
    when the deployment has one, sets REMOTE_ADDR before this is read; never trust X-Forwarded-For here."""
    return str(request.META.get("REMOTE_ADDR") or "").strip()
