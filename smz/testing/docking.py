"""Helpers for docking tests: an authorized app, and a vendor-side call through the gateway."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from smz.docking import protocol
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
