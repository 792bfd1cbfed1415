"""Pages for the city's other systems (city administrator only): register / rotate / retire a system with the
secret shown once, the latest messages, and a sandbox that signs a body with a system's secret and posts it
to the platform's own inbound endpoint, showing the exact request and response for a vendor to compare."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import RequestFactory
from django.urls import path, resolve, reverse

from smz.approvals.inbound import selectors, services
from smz.approvals.inbound.api import HEADER_SYSTEM
from smz.approvals.models import InboundSystem
from smz.core import signing
from smz.core.errors import DomainError
from smz.core.forms import form_date


@login_required
def inbound_systems(request: HttpRequest) -> HttpResponse:
    """对接系统: the list, the registration form and the latest messages; POST registers, rotates, retires."""
    systems = selectors.inbound_systems_for(request.user)
    secret: str | None = None
    secret_for = ""
    form: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "register":
                form = request.POST.dict()
                system, secret = services.inbound_system_register(
                    actor=request.user,
                    code=form.get("code", ""),
                    name=form.get("name", ""),
                    kind=form.get("kind", ""),
                    docked_on=form_date(form.get("docked_on", "")),
                )
                secret_for, form = system.code, {}
            elif action in {"rotate", "retire"}:
                system = selectors.inbound_system_get_for(
                    request.user, int(request.POST.get("system", "0") or 0)
                )
                if action == "rotate":
                    secret = services.inbound_system_rotate(actor=request.user, system=system)
                    secret_for = system.code
                else:
                    services.inbound_system_retire(actor=request.user, system=system)
                    form = {"notice": f"对接系统 {system.code} 已停用，其请求将被拒绝"}
            else:
                return HttpResponse(status=400)
        except DomainError as exc:
            status = exc.status
            form = form | {"error": exc.message, "errors": exc.detail.get("fields", {})}
    return render(
        request,
        "approvals/inbound_systems.html",
        {
            "systems": systems,
            "messages_recent": selectors.inbound_messages_recent_for(request.user),
            "kinds": InboundSystem.Kind.choices,
            "secret": secret,
            "secret_for": secret_for,
            "form": form,
        },
        status=status,
    )


@dataclass
class Exchange:
    """One signed request as sent and the platform's answer."""

    method: str
    path: str
    headers: dict[str, str]
    string_to_sign: str
    body: str
    status: int
    response: str


def _sandbox_send(system: InboundSystem, endpoint: str, body: bytes) -> Exchange:
    """Sign `body` with the system's secret and dispatch it to the inbound endpoint inside this process (a
    RequestFactory request through the resolved view: no network, same code path as a vendor's call)."""
    url_name = {key: name for key, _p, name, _k in selectors.ENDPOINTS}[endpoint]
    target = reverse(url_name)
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    headers = {
        "Content-Type": "application/json",
        HEADER_SYSTEM: system.code,
        signing.HEADER_TIMESTAMP: ts,
        signing.HEADER_NONCE: nonce,
        signing.HEADER_SIGNATURE: signing.sign(system.secret, "POST", target, ts, nonce, body),
    }
    inner = RequestFactory().post(
        target,
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    match = resolve(target)
    response = match.func(inner, *match.args, **match.kwargs)
    try:
        answer = json.dumps(json.loads(response.content), ensure_ascii=False, indent=2)
    except ValueError:
        answer = response.content.decode(errors="replace")
    return Exchange(
        method="POST",
        path=target,
        headers=headers,
        string_to_sign=signing.string_to_sign("POST", target, ts, nonce, body),
        body=body.decode(errors="replace"),
        status=response.status_code,
        response=answer,
    )


@login_required
def inbound_sandbox(request: HttpRequest) -> HttpResponse:
    """接口沙箱: choose a system and an endpoint, edit the body, have it signed and sent; see both sides."""
    systems = list(selectors.inbound_systems_for(request.user))
    projects = selectors.sandbox_projects_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    active = [s for s in systems if s.retired_at is None]
    system = next((s for s in systems if str(s.pk) == data.get("system")), None) or next(
        iter(active), None
    )
    endpoints = [key for key, *_ in selectors.ENDPOINTS]
    endpoint = data.get("endpoint", "")
    if endpoint not in endpoints or (request.method == "GET" and "endpoint" not in data):
        endpoint = selectors.ENDPOINT_FOR_KIND.get(system.kind if system else "", endpoints[0])
    project_code = data.get("project", "")
    body = data.get("body", "")
    exchange = None
    error = ""
    if request.method == "POST" and data.get("action") == "send":
        if system is None:
            error = "请先登记对接系统"
        else:
            # Browsers send textarea lines as CRLF; sign and send LF so the shown body is the signed one.
            exchange = _sandbox_send(system, endpoint, body.replace("\r\n", "\n").encode())
    if not body.strip() or (request.method == "POST" and data.get("action") == "example"):
        body = json.dumps(
            selectors.sandbox_example(endpoint, project_code=project_code),
            ensure_ascii=False,
            indent=2,
        )
    return render(
        request,
        "approvals/inbound_sandbox.html",
        {
            "systems": systems,
            "system": system,
            "endpoints": [(key, f"POST /inbound/v1{p}") for key, p, *_ in selectors.ENDPOINTS],
            "endpoint": endpoint,
            "projects": projects,
            "project_code": project_code,
            "body": body,
            "exchange": exchange,
            "error": error,
        },
    )


inbound_urlpatterns = [
    path("city/inbound/", inbound_systems, name="inbound_systems"),
    path("city/inbound/sandbox/", inbound_sandbox, name="inbound_sandbox"),
]
