"""The upward client: one signed call to a provincial or national platform (附件8 protocol), through a transport
that tests replace (the fake upstream in-process) and production leaves as HTTP (urllib, stdlib).

A call ends in one of three ways, and the push treats them differently:
- `Reply` with code 0: accepted (data in `.data`);
- `Reply` with another code: refused by the upstream with its message (the caller decides: a refusal of the
  envelope — sign, appid — fails every record; the push does not retry it blindly);
- `Transient`: no usable answer (connection refused, timeout, HTTP 5xx, a body that is not JSON). The request may
  or may not have reached the upstream; the push retries later with backoff.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from smz.docking import protocol

TIMEOUT_SECONDS = 30

# A transport posts a form to a URL and returns (HTTP status, body text); it raises OSError / TimeoutError when no
# answer came back.
Transport = Callable[[str, dict[str, str]], tuple[int, str]]


class Transient(Exception):
    """No usable answer from the upstream (it may have received the request)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reply:
    code: int
    message: str
    data: Any

    @property
    def ok(self) -> bool:
        return self.code == 0


def http_transport(url: str, form: dict[str, str]) -> tuple[int, str]:
    body = urlencode(form).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (the URL is the administrator's configured https/http target)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")


@dataclass
class UpwardClient:
    url: str
    appid: str
    secret: str
    transport: Transport = http_transport

    def call(self, method: str, data: dict[str, Any], *, now: dt.datetime) -> Reply:
        """Sign and send one call; sensitive fields are AES-encrypted by protocol.envelope."""
        form = protocol.envelope(self.appid, self.secret, method, data, moment=now)
        try:
            status, text = self.transport(self.url, form)
        except (OSError, TimeoutError) as exc:
            raise Transient(f"连接上级平台失败（{type(exc).__name__}）") from None
        if status >= 500:
            raise Transient(f"上级平台服务器错误（HTTP {status}）")
        try:
            body = json.loads(text)
        except ValueError:
            raise Transient(f"上级平台应答不是 JSON（HTTP {status}）") from None
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise Transient(f"上级平台应答格式无效（HTTP {status}）")
        data_out = body.get("data")
        if isinstance(data_out, dict | list):
            data_out, _bad = protocol.decrypt_sensitive(data_out, self.secret)
        return Reply(int(body["code"]), str(body.get("message") or ""), data_out)
