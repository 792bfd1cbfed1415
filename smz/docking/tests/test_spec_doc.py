"""附件8 (docs/interfaces/platform-docking.md) says what the code does: every GatewayCode with its HTTP status and
message, both vectors, and the Python example, run against the gateway."""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings

from smz.docking import protocol
from smz.docking.errors import GATEWAY_MESSAGES, GatewayCode
from smz.docking.services.gateway import _STATUS
from smz.testing.docking import GATEWAY, docking_app

DOC = Path(settings.BASE_DIR) / "docs" / "interfaces" / "platform-docking.md"
SECRET = "0123456789abcdefABCDEF0123456789"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_gateway_code_is_in_the_table_with_its_status_and_message():
    text = _text()
    for code in GatewayCode:
        row = f"| `{int(code)}` | {_STATUS[code]} | {GATEWAY_MESSAGES[code]} |"
        assert row in text, row


def test_the_vectors_in_the_document_are_the_codes():
    text = _text()
    fields = {
        "appid": "44202026120500001",
        "data": '{"projectCode":"442000202400001","pageIndex":0,"pageSize":10}',
        "format": "json",
        "method": "Project.Query",
        "nonce": "8f14e45fceea167a5a36dedd4bea2543",
        "timestamp": "20261205143000",
        "version": "1.0",
    }
    assert f"`{protocol.string_to_sign(fields, SECRET)}`" in text
    assert f"**`{protocol.sign(fields, SECRET)}`**" in text
    assert f"**`{protocol.aes_encrypt('440101199001011234', SECRET)}`**" in text
    assert all(f"`{name}`" in text for name in protocol.SENSITIVE_FIELDS)


def _python_example() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", _text(), flags=re.S)
    return block.split("\nanswer = call(")[0]


def test_the_python_example_talks_to_the_gateway(client, world, monkeypatch):
    app, secret = docking_app(world)
    sent: list[dict[str, Any]] = []

    def urlopen(request: urllib.request.Request, timeout: float = 0) -> Any:
        r = client.post(
            GATEWAY, data=request.data, content_type="application/x-www-form-urlencoded"
        )
        sent.append(dict(r.request))
        if r.status_code >= 400:
            raise urllib.error.HTTPError(
                request.full_url, r.status_code, "refused", {}, io.BytesIO(r.content)
            )
        return _Response(r.content)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    namespace: dict[str, Any] = {}
    exec(compile(_python_example(), str(DOC), "exec"), namespace)  # noqa: S102 - our own document
    namespace["SECRET"] = SECRET
    assert namespace["aes"]("440101199001011234") == "7UZztFW7CwzvKfMZRY7XsqHuERjzSHsw/1QLR3cwqp0="
    namespace["APPID"], namespace["SECRET"] = app.app_id, secret
    answer = namespace["call"]("Project.Query", {"pageIndex": 0, "pageSize": 10})
    assert answer["code"] == 0, answer
    assert answer["data"]["rows"][0]["projectCode"] == world.projects["p1"].code
    namespace["SECRET"] = "X" * 32
    assert namespace["call"]("Project.Query", {})["code"] == GatewayCode.BAD_SIGN
    assert len(sent) == 2


class _Response:
    def __init__(self, content: bytes) -> None:
        self._body = io.BytesIO(content)

    def __enter__(self) -> io.BytesIO:
        return self._body

    def __exit__(self, *exc: object) -> None:
        return None
