"""Webhooks of REST docking (issue 14 item 4): signed events for finished requests and approval decisions,
retries with backoff (1 min, 5 min, 30 min, 2 h, 12 h, then failed), resend, the management command."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from smz.approvals import services as approvals
from smz.approvals.models import RequestKind
from smz.core.errors import DomainError
from smz.docking.errors import DockingErrorCode
from smz.docking.events import WebhookEvent
from smz.docking.models import DockingDelivery, DockingRequest
from smz.docking.services import webhooks
from smz.docking.services.requests import docking_request_process
from smz.testing.approvals import fresh_permit, request_filed
from smz.testing.docking import docking_app

URL = "https://vendor.example.com/smz/hooks"


class Receiver:
    """A fake receiver: answers the queued statuses in turn (then 200), records what it got."""

    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        self.calls.append((url, body, headers))
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return webhooks.Reply(status, "" if status else "ConnectionRefusedError: 拒绝连接")


@pytest.fixture
def hooked(world):
    app, secret = docking_app(world, ("p1",))
    webhooks.docking_webhook_url_set(actor=world.user("gc_admin"), app=app, url=URL)
    return app, secret


def _request(app, world) -> DockingRequest:
    return DockingRequest.objects.create(
        serial="thing-add-1",
        app=app,
        project=world.projects["p1"],
        method="AsyncHandleResult.Query",  # any registered method; its handler is not what is tested here
        data=json.dumps({"requestSerialCode": "nothing"}),
        record_count=1,
        received_at=timezone.now(),
    )


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/interfaces/api.md §回调 验签示例)."""
    message = headers["X-Smz-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Smz-Signature"])


def test_webhook_signature_vector():
    """The vector in docs/interfaces/api.md §回调, checked independently with `openssl dgst -sha256 -hmac`."""
    body = b'{"event":"docking.request_finished","deliveryId":"5bcabef9ccf79121a19518ac5d82f19c"}'
    assert webhooks.webhook_signature("0123456789abcdefABCDEF0123456789", "1796452260", body) == (
        "6754ff9567a13cfc85c28a4143b2f1bd6efb0384d110b790effebde938e7798a"
    )


def test_finished_request_is_delivered_signed(world, hooked, django_capture_on_commit_callbacks):
    app, secret = hooked
    request = _request(app, world)
    receiver = Receiver(200)
    webhooks.transport_set(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            docking_request_process(request.serial)
        # The task backend is the database: run what it queued.
        delivery = DockingDelivery.objects.get()
        webhooks.docking_delivery_attempt(delivery.delivery_id)
    finally:
        webhooks.transport_set(None)
    delivery.refresh_from_db()
    assert delivery.status == DockingDelivery.Status.DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.request_id == request.pk
    (url, body, headers), *_ = receiver.calls
    assert url == URL
    assert headers["X-Smz-Event"] == WebhookEvent.REQUEST_FINISHED
    assert headers["X-Smz-Delivery"] == delivery.delivery_id
    assert verify(secret, headers, body)
    assert not verify("X" * 32, headers, body)
    event = json.loads(body)
    assert event["event"] == "docking.request_finished" and event["appId"] == app.app_id
    assert event["data"]["requestSerialCode"] == request.serial
    assert event["data"]["status"] in (10, 20)


def test_no_url_no_delivery(world):
    app, _ = docking_app(world, ("p1",))
    docking_request_process(_request(app, world).serial)
    assert not DockingDelivery.objects.exists()


def test_retries_with_backoff_then_failed(world, hooked):
    app, secret = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    assert delivery is not None
    receiver = Receiver(500, 0, 503, 404, 502, 500)
    now = timezone.now()
    waits = []
    for _ in range(webhooks.MAX_ATTEMPTS):
        # Not yet due: nothing is sent.
        before = len(receiver.calls)
        webhooks.docking_delivery_attempt(
            delivery.delivery_id, now=now - dt.timedelta(seconds=1), transport=receiver
        )
        assert len(receiver.calls) == before
        webhooks.docking_delivery_attempt(delivery.delivery_id, now=now, transport=receiver)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert waits == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
        dt.timedelta(hours=12),
    ]
    assert delivery.status == DockingDelivery.Status.FAILED
    assert delivery.attempts == 6 and delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    # The same delivery id on every attempt; each attempt signed anew.
    assert {h["X-Smz-Delivery"] for _, _, h in receiver.calls} == {delivery.delivery_id}
    assert all(verify(secret, h, b) for _, b, h in receiver.calls)
    # Failed is final: the command leaves it alone.
    webhooks.docking_deliveries_due(now=now + dt.timedelta(days=1), transport=receiver)
    assert len(receiver.calls) == 6


def test_success_after_a_failure_and_a_broken_transport(world, hooked):
    app, _ = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    receiver = Receiver(RuntimeError("boom"), 0, 204)
    now = timezone.now()
    for _ in range(3):
        webhooks.docking_delivery_attempt(delivery.delivery_id, now=now, transport=receiver)
        delivery.refresh_from_db()
        now = delivery.next_attempt_at or now
    assert delivery.status == DockingDelivery.Status.DELIVERED and delivery.attempts == 3
    assert delivery.last_error == "" and delivery.last_status_code == 204


def test_command_delivers_what_is_due(world, hooked, capsys):
    app, _ = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    receiver = Receiver(200)
    webhooks.transport_set(receiver)
    try:
        call_command("docking_webhooks_deliver")
    finally:
        webhooks.transport_set(None)
    delivery.refresh_from_db()
    assert delivery.status == DockingDelivery.Status.DELIVERED
    assert "1" in capsys.readouterr().out


def test_resend_by_the_owner_only(world, hooked):
    app, _ = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    with pytest.raises(DomainError) as pending:
        webhooks.docking_delivery_resend(actor=world.user("gc_admin"), delivery=delivery)
    assert pending.value.code == DockingErrorCode.DELIVERY_NOT_RESENDABLE
    webhooks.docking_delivery_attempt(delivery.delivery_id, transport=Receiver(200))
    delivery.refresh_from_db()
    with pytest.raises(DomainError) as neighbour:
        webhooks.docking_delivery_resend(actor=world.user("neighbour_labor"), delivery=delivery)
    assert neighbour.value.status == 403
    webhooks.docking_delivery_resend(actor=world.user("gc_admin"), delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DockingDelivery.Status.PENDING and delivery.attempts == 0


def test_approval_decision_reaches_the_apps_of_its_project(world, hooked):
    app, secret = hooked
    # An app of another GC on p2 with a URL hears nothing of p1's approvals.
    other, _ = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    webhooks.docking_webhook_url_set(actor=world.user("city_admin"), app=other, url=URL)
    p1 = fresh_permit(world.projects["p1"])
    filed = request_filed(
        world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
    )
    approvals.request_act(actor=world.user("gc_labor"), request=filed, action="submit")
    assert not DockingDelivery.objects.exists()  # a submission is not a decision
    approvals.request_act(
        actor=world.user("town_l1"), request=filed, action="return", note="材料不清晰，请重新上传"
    )
    delivery = DockingDelivery.objects.get()
    assert delivery.app == app and delivery.event == WebhookEvent.APPROVAL_DECIDED
    data = delivery.payload["data"]
    assert data["projectCode"] == p1.code and data["action"] == "return"
    assert data["state"] == "returned" and data["note"] == "材料不清晰，请重新上传"
    receiver = Receiver(200)
    webhooks.docking_delivery_attempt(delivery.delivery_id, transport=receiver)
    assert verify(secret, receiver.calls[0][2], receiver.calls[0][1])


@pytest.mark.parametrize(
    "url",
    [
        "http://vendor.example.com/hook",
        "ftp://vendor.example.com/hook",
        "https://user:pw@vendor.example.com/hook",
        "https:///nohost",
        "https://vendor.example.com/a b",
        "https://vendor.example.com/" + "a" * 300,
        "javascript:alert(1)",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
    ],
)
def test_webhook_url_refused(world, url):
    app, _ = docking_app(world, ("p1",))
    with pytest.raises(DomainError) as refused:
        webhooks.docking_webhook_url_set(actor=world.user("gc_admin"), app=app, url=url)
    assert refused.value.code == DockingErrorCode.WEBHOOK_URL_INVALID


def test_webhook_url_accepted_and_cleared(world):
    app, _ = docking_app(world, ("p1",))
    for url in ("https://vendor.example.com/hook?x=1", "http://127.0.0.1:8765/hook", ""):
        webhooks.docking_webhook_url_set(actor=world.user("gc_admin"), app=app, url=url)
        app.refresh_from_db()
        assert app.webhook_url == url
    with pytest.raises(DomainError):
        webhooks.docking_webhook_url_set(actor=world.user("neighbour_labor"), app=app, url=URL)


def test_urllib_transport_against_a_local_receiver(world, hooked):
    """The real HTTP client, against a receiver on 127.0.0.1 that checks the signature."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    app, secret = hooked
    got: list[bool] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(verify(secret, dict(self.headers.items()), body))
            self.send_response(200 if got[-1] else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        webhooks.docking_webhook_url_set(actor=world.user("gc_admin"), app=app, url=url)
        app.refresh_from_db()
        delivery = webhooks.webhook_request_finished(_request(app, world))
        webhooks.docking_delivery_attempt(delivery.delivery_id)
    finally:
        server.shutdown()
        server.server_close()
    delivery.refresh_from_db()
    assert got == [True]
    assert delivery.status == DockingDelivery.Status.DELIVERED


def test_page_owner_sets_url_sees_and_resends(world, as_user, hooked):
    from django.urls import reverse

    app, _ = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    webhooks.docking_delivery_attempt(delivery.delivery_id, transport=Receiver(500))
    url = reverse("docking:webhooks", args=[app.pk])
    c = as_user("gc_admin")
    page = c.get(url).content.decode()
    assert delivery.delivery_id in page and "HTTP 500" in page and URL in page
    # Pending: no resend button yet; a resend by POST is refused with a message.
    r = c.post(url, {"action": "resend", "delivery": delivery.delivery_id})
    assert r.status_code == 409 and "无需重发" in r.content.decode()
    DockingDelivery.objects.filter(pk=delivery.pk).update(status=DockingDelivery.Status.FAILED)
    assert f"resend-{delivery.delivery_id}" in c.get(url).content.decode()
    r = c.post(url, {"action": "resend", "delivery": delivery.delivery_id})
    assert r.status_code == 200 and "已重新排队" in r.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DockingDelivery.Status.PENDING
    r = c.post(url, {"action": "url", "webhook_url": "http://vendor.example.com/x"})
    assert r.status_code == 400 and "https://" in r.content.decode()
    r = c.post(url, {"action": "url", "webhook_url": ""})
    app.refresh_from_db()
    assert r.status_code == 200 and app.webhook_url == ""
    assert c.get(url + "?status=failed").status_code == 200
    # The city administrator manages every GC's apps; another GC's people and the app's own GC labor
    # specialist do not see the page.
    assert as_user("city_admin").get(url).status_code == 200
    for who in ("neighbour_labor", "gc_labor", "town_l1"):
        assert as_user(who).get(url).status_code == 404, who
        assert as_user(who).post(url, {"action": "url", "webhook_url": URL}).status_code == 404
    app.refresh_from_db()
    assert app.webhook_url == ""


def test_revoked_app_fails_at_once_and_takes_no_url(world, hooked):
    from smz.docking.services.apps import docking_app_revoke

    app, _ = hooked
    delivery = webhooks.webhook_request_finished(_request(app, world))
    docking_app_revoke(actor=world.user("gc_admin"), app=app, reason="更换厂商")
    receiver = Receiver(200)
    webhooks.docking_delivery_attempt(delivery.delivery_id, transport=receiver)
    delivery.refresh_from_db()
    assert receiver.calls == [] and delivery.status == DockingDelivery.Status.FAILED
    assert delivery.last_error == "应用已撤销或未设置回调地址"
    app.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        webhooks.docking_webhook_url_set(actor=world.user("gc_admin"), app=app, url=URL)
    assert refused.value.code == DockingErrorCode.ALREADY_REVOKED
