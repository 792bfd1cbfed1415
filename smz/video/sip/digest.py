"""Digest authentication of REGISTER (RFC 2617, RFC 7616 with MD5: what GB/T 28181-2016/2022 §9.1 uses).

Nonces are stateless: `<issued unix seconds>:<HMAC-SHA256(key, issued:realm)[:32]>`, so a restart or a second
server with the same key accepts them, and an expired or forged one costs no memory. qop=auth is accepted when
the device uses it (the server offers it only when asked to); without qop the RFC 2069 form is checked."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

NONCE_SECONDS = 300
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 (the protocol's hash, not ours to choose)


def digest_response(
    *,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str = "",
    cnonce: str = "",
) -> str:
    """The `response` value of RFC 2617 §3.2.2.1 (MD5; with qop=auth or without qop)."""
    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    if qop:
        return md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return md5(f"{ha1}:{nonce}:{ha2}")


def parse_credentials(value: str | None) -> dict[str, str] | None:
    """`Digest k=v, k="v"` → {k: v}; None when the header is absent, not Digest, or malformed."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest" or len(rest) > 2048:
        return None
    out: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            return None
        key, val = m.group(1).lower(), m.group(2)
        if val.startswith('"'):
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        out[key] = val
        pos = m.end()
    return out


def nonce_new(key: bytes, realm: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    mac = hmac.new(key, f"{issued}:{realm}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{issued}:{mac}"


def nonce_check(key: bytes, realm: str, nonce: str, *, now: float | None = None) -> str:
    """'ok', 'stale' (ours, expired: answer a fresh challenge with stale=true) or 'bad' (not ours)."""
    issued, _, mac = nonce.partition(":")
    if not issued.isascii() or not issued.isdigit() or len(issued) > 12:
        return "bad"
    good = hmac.new(key, f"{issued}:{realm}".encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(good, mac):
        return "bad"
    age = (time.time() if now is None else now) - int(issued)
    return "ok" if -5 <= age <= NONCE_SECONDS else "stale"


def challenge(realm: str, nonce: str, *, stale: bool = False, qop: bool = False) -> str:
    out = f'Digest realm="{realm}", nonce="{nonce}", algorithm=MD5'
    if qop:
        out += ', qop="auth"'
    if stale:
        out += ", stale=TRUE"
    return out


def verify(creds: dict[str, str], *, method: str, password: str, realm: str) -> bool:
    """Whether the credentials' response is right for this password (constant-time compare)."""
    algorithm = creds.get("algorithm", "MD5").upper()
    qop = creds.get("qop") or None
    if algorithm != "MD5" or (qop is not None and qop.lower() != "auth"):
        return False
    expected = digest_response(
        username=creds.get("username", ""),
        realm=realm,
        password=password,
        method=method,
        uri=creds.get("uri", ""),
        nonce=creds.get("nonce", ""),
        qop=qop,
        nc=creds.get("nc", ""),
        cnonce=creds.get("cnonce", ""),
    )
    return hmac.compare_digest(expected, creds.get("response", "").lower())


def authorization(
    *,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str = "00000001",
    cnonce: str = "",
) -> str:
    """The Authorization header a device sends (used by the simulator)."""
    resp = digest_response(
        username=username,
        realm=realm,
        password=password,
        method=method,
        uri=uri,
        nonce=nonce,
        qop=qop,
        nc=nc,
        cnonce=cnonce,
    )
    out = (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{resp}", algorithm=MD5'
    )
    if qop:
        out += f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
    return out
