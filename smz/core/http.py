"""Who is calling: the client address and scheme, with forwarding headers honoured only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Headers a client could forge; kept only when the peer is one of settings.TRUSTED_PROXIES.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP")


def client_address(request: HttpRequest) -> str:
    """The caller's address (TrustedProxyMiddleware has already resolved X-Forwarded-For)."""
    return request.META["REMOTE_ADDR"]


def proxy_networks(*, entries: list[str]) -> tuple[Network, ...]:
    """Parse TRUSTED_PROXIES entries (addresses or CIDRs); a bad entry is a start-up error."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _forwarded_client(header: str, networks: tuple[Network, ...]) -> str | None:
    """The right-most address in X-Forwarded-For that is not a trusted proxy (left of it is client-written)."""
    hops = [h.strip() for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return None
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else None


class TrustedProxyMiddleware:
    """Honour X-Forwarded-For/-Proto only from settings.TRUSTED_PROXIES; from anyone else drop them.

    Runs first, so SecurityMiddleware (SECURE_PROXY_SSL_HEADER), axes and every view see the resolved
    REMOTE_ADDR and scheme.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.networks = proxy_networks(entries=settings.TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR") or ""
        if self.networks and _trusted(peer, self.networks):
            forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
            client = _forwarded_client(forwarded, self.networks) if forwarded else None
            if client:
                meta["REMOTE_ADDR"] = client
        else:
            for header in FORWARDING_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
