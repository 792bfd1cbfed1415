"""Helpers for docking tests: an authorized app, and a vendor-side call through the gateway."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from smz.docking import protocol
from smz.docking.errors import DockingErrorCode
from smz.docking.methods.base import Call, MethodResult
from smz.docking.models import DockingApp
from smz.docking.services.apps import docking_app_authorize

GATEWAY = "/docking/v1/gateway"


def docking_app(
    world: Any, projects: tuple[str, ...] = ("p1",), *, by: str = "gc_admin", enterprise: str = "gc"
) -> tuple[DockingApp, str]:
    return docking_app_authorize(
        actor=world.user(by),
        enterprise=world.enterprises[enterprise],
        name="甲集团实名制系统",
        vendor="某科技有限公司",
        project_ids=[world.projects[k].pk for k in projects],
    )


def gateway_post(
    client: Any,
    app: DockingApp | str,
    secret: str,
    method: str,
    data: Any,
    *,
    moment: dt.datetime | None = None,
    nonce: str | None = None,
    encrypt: bool = True,
    tamper: dict[str, str] | None = None,
) -> Any:
    """POST one signed call as a vendor system would; answers the test client's response."""
    appid = app if isinstance(app, str) else app.app_id
    fields = protocol.envelope(
        appid, secret, method, data, moment=moment or timezone.now(), nonce=nonce, encrypt=encrypt
    )
    fields |= tamper or {}
    return client.post(
        GATEWAY, data=urlencode(fields), content_type="application/x-www-form-urlencoded"
    )


def answer(response: Any) -> dict[str, Any]:
    return json.loads(response.content)


REST = "/api/v1/docking"


def rest_headers(
    app: DockingApp | str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    moment: dt.datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The signed headers of one REST docking call (what a vendor client sends)."""
    from smz.core import signing

    stamp = str(int((moment or timezone.now()).timestamp()))
    nonce = nonce or protocol.new_nonce()
    return {
        "X-Smz-App": app if isinstance(app, str) else app.app_id,
        "X-Smz-Timestamp": stamp,
        "X-Smz-Nonce": nonce,
        "X-Smz-Signature": signing.sign(secret, method, path, stamp, nonce, body),
    }


def rest_call(
    client: Any,
    app: DockingApp | str,
    secret: str,
    method: str,
    data: Any,
    *,
    key: str | None = None,
    moment: dt.datetime | None = None,
    nonce: str | None = None,
    tamper: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Any:
    """POST /api/v1/docking/calls/{method}, signed with the app's secret (optionally an Idempotency-Key)."""
    path = f"{REST}/calls/{method}"
    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    headers = rest_headers(app, secret, "POST", path, body, moment=moment, nonce=nonce)
    if key is not None:
        headers["Idempotency-Key"] = key
    headers |= tamper or {}
    return client.generic("POST", path, body, content_type="application/json", headers=headers)


def rest_result(client: Any, app: DockingApp | str, secret: str, serial: str) -> Any:
    path = f"{REST}/requests/{serial}"
    return client.get(path, headers=rest_headers(app, secret, "GET", path, b""))


# A throwaway asynchronous method for tests of the plumbing (REST, fuzzing): put into METHODS with monkeypatch.
THINGS_SEEN: list[dict[str, Any]] = []


def thing_add(call: Call) -> MethodResult:
    """Accepts each record of `thingList` with a name, refuses the others (in Chinese); issues thingSysNo 7."""
    result = MethodResult()
    for i, row in enumerate(call.data["thingList"]):
        if isinstance(row, dict) and isinstance(row.get("name"), str) and row["name"]:
            THINGS_SEEN.append(row)
            result.accepted += 1
        else:
            result.refuse(i, DockingErrorCode.RECORD_INVALID, "[name]必填", "name")
    result.issued = {"thingSysNo": 7}
    return result
