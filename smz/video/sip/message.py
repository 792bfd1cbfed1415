"""SIP messages (RFC 3261, the subset GB/T 28181 uses): parse bytes into a SipMessage, serialize one back.

Our own parser, not a library: the maintained pure-Python candidate (sipmessage, BSD-2) parses header values
well but checks nothing a server facing the internet needs (no Content-Length check, no limit on header count
or line length, UTF-8 only start line, header storage quadratic in the number of headers), so a guard layer as
large as this parser would sit in front of it, and it would be one more dependency in the shared environment.
GB/T 28181 needs only REGISTER, MESSAGE and their responses, a handful of headers and the user part of a SIP
URI, which this module covers in ~200 lines, tested with camera-captured vectors and hypothesis.

Every refusal is a SipError carrying the status to answer (400, 413) and a VideoErrorCode; nothing here raises
anything else on any input (the property test feeds it random bytes)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from smz.video.errors import VideoErrorCode

MAX_MESSAGE = 32 * 1024  # a whole datagram or TCP message: headers + body
MAX_HEADER_BLOCK = 8 * 1024
MAX_HEADERS = 64
MAX_BODY = MAX_MESSAGE - 1024

REASONS = {
    100: "Trying",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    423: "Interval Too Brief",
    481: "Call/Transaction Does Not Exist",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}

COMPACT = {
    "i": "Call-ID",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "t": "To",
    "v": "Via",
    "k": "Supported",
}
CANONICAL = {
    n.lower(): n
    for n in [
        *("Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Content-Type"),
        *("Expires", "Max-Forwards", "Authorization", "WWW-Authenticate", "User-Agent", "Date"),
        *("Retry-After", "Min-Expires", "Allow", "Supported", "Subject", "Route", "Server"),
    ]
}
REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
_METHOD = re.compile(r"^[A-Z]{2,16}$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_USER = re.compile(r"sips?:([^@;>\s:]+)@", re.IGNORECASE)
_HOSTPORT = re.compile(r"sips?:(?:[^@;>\s]+@)?([^;>\s]+)", re.IGNORECASE)


class SipError(Exception):
    """A message refused: `status` to answer (when a reply is possible), `code` to store."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.message: SipMessage | None = None  # what was parsed before the fault, to answer it


@dataclass
class SipMessage:
    method: str = ""  # a request's method; empty for a response
    uri: str = ""
    status: int = 0  # a response's status; 0 for a request
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.header("CSeq") or "").partition(" ")
        return int(number), method.strip()

    def to_bytes(self) -> bytes:
        if self.is_request:
            start = f"{self.method} {self.uri} SIP/2.0"
        else:
            start = f"SIP/2.0 {self.status} {self.reason}"
        lines = [start]
        lines += [f"{k}: {v}" for k, v in self.headers if k != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def _bad(detail: str) -> SipError:
    return SipError(400, VideoErrorCode.SIP_MALFORMED, detail)


def split_head(data: bytes) -> tuple[bytes, bytes]:
    """Header block and the rest, refusing a header block over the limit."""
    end = data.find(b"\r\n\r\n")
    if end < 0 or end > MAX_HEADER_BLOCK:
        if end > MAX_HEADER_BLOCK or len(data) > MAX_HEADER_BLOCK:
            raise SipError(413, VideoErrorCode.SIP_TOO_LARGE, "header block too large")
        raise _bad("no end of headers")
    return data[:end], data[end + 4 :]


def content_length(value: str | None) -> int | None:
    """The Content-Length value, or SipError (400 not a number, 413 over the body limit)."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise _bad("bad Content-Length")
    n = int(value)
    if n > MAX_BODY:
        raise SipError(413, VideoErrorCode.SIP_TOO_LARGE, "body too large")
    return n


def parse(data: bytes, *, stream: bool = False) -> SipMessage:
    """One SIP message from a datagram (or a TCP message framed by Content-Length when `stream`)."""
    head, body = split_head(data)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("headers are not UTF-8") from exc
    raw = text.split("\r\n")
    lines: list[str] = []
    for line in raw:
        if line[:1] in (" ", "\t") and lines:  # folded continuation (RFC 3261 §7.3.1)
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    if not lines or not lines[0]:
        raise _bad("empty start line")
    msg = _start_line(lines[0])
    if len(lines) - 1 > MAX_HEADERS:
        raise SipError(413, VideoErrorCode.SIP_TOO_LARGE, "too many headers")
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not _TOKEN.match(name) or _CONTROL.search(value):
            raise _bad("bad header line")
        lname = name.lower()
        msg.headers.append((COMPACT.get(lname) or CANONICAL.get(lname) or name, value.strip()))
    try:
        if len(data) > MAX_MESSAGE:
            raise SipError(413, VideoErrorCode.SIP_TOO_LARGE, "message too large")
        _check(msg, body, stream)
    except SipError as exc:
        exc.message = msg
        raise
    return msg


def can_answer(msg: SipMessage | None) -> bool:
    """A request whose headers allow a response (RFC 3261 §8.2.6 needs its Via, From, To, Call-ID, CSeq)."""
    return msg is not None and msg.is_request and all(msg.header(n) for n in REQUIRED)


def _check(msg: SipMessage, body: bytes, stream: bool) -> None:
    length = content_length(msg.header("Content-Length"))
    if length is None:
        if stream:
            raise _bad("Content-Length required on TCP")
        length = len(body)
    if len(body) < length:
        raise _bad("body shorter than Content-Length")
    if len(body) > MAX_BODY:
        raise SipError(413, VideoErrorCode.SIP_TOO_LARGE, "body too large")
    msg.body = body[:length]
    if msg.is_request:
        for name in REQUIRED:
            if not msg.header(name):
                raise _bad(f"missing {name}")
        cseq = msg.header("CSeq") or ""
        number, _, method = cseq.partition(" ")
        if not number.isascii() or not number.isdigit() or len(number) > 10:
            raise _bad("bad CSeq")
        if method.strip() != msg.method:
            raise _bad("CSeq method differs")


def _start_line(line: str) -> SipMessage:
    parts = line.split(" ", 2)
    if len(parts) != 3:
        raise _bad("bad start line")
    if parts[0] == "SIP/2.0":
        if not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) == 3):
            raise _bad("bad status")
        return SipMessage(status=int(parts[1]), reason=parts[2][:64])
    method, uri, version = parts
    if version != "SIP/2.0" or not _METHOD.match(method):
        raise _bad("bad request line")
    if not uri.lower().startswith(("sip:", "sips:")) or len(uri) > 256 or _CONTROL.search(uri):
        raise _bad("bad request URI")
    return SipMessage(method=method, uri=uri)


def uri_user(value: str | None) -> str:
    """The user part of the first SIP URI in a header or URI (a GB/T 28181 device id), or ''."""
    m = _USER.search(value or "")
    return m.group(1) if m else ""


def uri_hostport(value: str | None) -> str:
    m = _HOSTPORT.search(value or "")
    return m.group(1) if m else ""


def param(value: str | None, name: str) -> str | None:
    """A `;name=value` parameter of a header (outside its <URI>), e.g. a To tag or a Contact's expires."""
    if not value:
        return None
    rest = value.rsplit(">", 1)[-1] if ">" in value else value
    for part in rest.split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == name:
            return v.strip()
    return None


def new_tag() -> str:
    return secrets.token_hex(5)


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


def response(
    request: SipMessage,
    status: int,
    *,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    to_tag: str | None = None,
) -> SipMessage:
    """A response to `request` (RFC 3261 §8.2.6): its Vias, From, Call-ID and CSeq, its To with a tag."""
    out = SipMessage(status=status, reason=REASONS.get(status, "Unknown"))
    out.headers += [("Via", v) for v in request.header_all("Via")]
    to = request.header("To") or ""
    if param(to, "tag") is None:
        to = f"{to};tag={to_tag or new_tag()}"
    for name, value in (
        ("From", request.header("From") or ""),
        ("To", to),
        ("Call-ID", request.header("Call-ID") or ""),
        ("CSeq", request.header("CSeq") or ""),
    ):
        out.headers.append((name, value))
    out.headers += headers or []
    out.body = body
    return out


def request(
    method: str,
    uri: str,
    *,
    via: str,
    from_: str,
    to: str,
    call_id: str,
    cseq: int,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> SipMessage:
    """A new request: `via` is `SIP/2.0/UDP host:port` (a branch is added)."""
    out = SipMessage(method=method, uri=uri)
    out.headers = [
        ("Via", f"{via};rport;branch={new_branch()}"),
        ("From", from_),
        ("To", to),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
        ("Max-Forwards", "70"),
        *(headers or []),
    ]
    out.body = body
    return out
