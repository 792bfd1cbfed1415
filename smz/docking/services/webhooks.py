"""Webhooks of REST docking (回调): smz POSTs a signed JSON event to an app's callback URL when one of its
asynchronous requests finishes (status 10/20) and when an approval decision concerns one of its projects.

Each event is one `DockingDelivery`, written in the transaction that caused it and sent after the commit by a
django.tasks job (`docking_webhook_task`); `manage.py docking_webhooks_deliver` (cron, every minute) sends what is
due, so a lost job or a stopped worker delays a delivery, never loses it. A 2xx answer delivers it; anything else
(another status, a timeout, a refused connection) is retried after 1 min, 5 min, 30 min, 2 h and 12 h, then the
delivery is failed (the app's owner can resend it from the delivery log page).

    X-Smz-Event: docking.request_finished        X-Smz-Delivery: <delivery id, the same on every attempt>
    X-Smz-Timestamp: <Unix seconds of this attempt>
    X-Smz-Signature: hex(HMAC-SHA256(app secret, X-Smz-Timestamp + "." + body bytes))
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from smz.core.errors import DomainError
from smz.core.events import event_record
from smz.docking.errors import DockingErrorCode
from smz.docking.events import DockingEventKind, WebhookEvent
from smz.docking.methods import METHODS, Call
from smz.docking.models import DockingApp, DockingDelivery, DockingRequest
from smz.docking.services.apps import may_authorize

log = logging.getLogger(__name__)

# Waits after the 1st … 5th failed attempt; the 6th failure fails the delivery.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
URL_MAX = 300
LOCAL_HOSTS = ("127.0.0.1", "localhost")
HEADER_EVENT = "X-Smz-Event"
HEADER_DELIVERY = "X-Smz-Delivery"
HEADER_TIMESTAMP = "X-Smz-Timestamp"
HEADER_SIGNATURE = "X-Smz-Signature"


@dataclass(frozen=True)
class Reply:
    """What the receiver answered: an HTTP status, or 0 with the error when no answer came."""

    status: int
    error: str = ""


# (url, body, headers, timeout) → Reply. Tests inject their own; production uses urllib.
Transport = Callable[[str, bytes, dict[str, str], float], Reply]


def urllib_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status)
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Reply(0, type(exc).__name__ + ": " + str(getattr(exc, "reason", exc))[:150])


_transport: Transport = urllib_transport


def transport_set(transport: Transport | None) -> None:
    """Replace the HTTP client (tests, the demo); None restores urllib."""
    global _transport
    _transport = transport or urllib_transport


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """hex(HMAC-SHA256(secret, timestamp + "." + body)): what the receiver recomputes and compares."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _internal_address(host: str) -> bool:
    """An IP literal smz must not be made to call over https (its own network, cloud metadata); the http
    exception for 127.0.0.1 is for local receivers and tests only."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")
    return not address.is_global


def webhook_url_check(url: str) -> str:
    """An HTTPS URL (or http to 127.0.0.1/localhost, for tests and local receivers), ≤ 300 characters;
    empty turns webhooks off."""
    url = (url or "").strip()
    if not url:
        return ""
    problem = ""
    if len(url) > URL_MAX:
        problem = f"回调地址不能超过 {URL_MAX} 个字符"
    elif any(ord(c) < 33 or ord(c) == 127 for c in url):
        problem = "回调地址不能包含空格或控制字符"
    else:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        secure = parts is not None and parts.scheme == "https" and bool(host)
        local = parts is not None and parts.scheme == "http" and host in LOCAL_HOSTS
        if not (secure or local):
            problem = "回调地址须为 https:// 地址（本机测试可用 http://127.0.0.1）"
        elif parts is not None and (parts.username or parts.password):
            problem = "回调地址不能包含用户名或密码"
        elif secure and _internal_address(host or ""):
            problem = "回调地址不能是内网、本机或链路本地地址"
    if problem:
        raise DomainError(
            DockingErrorCode.WEBHOOK_URL_INVALID, problem, {"fields": {"webhook_url": problem}}
        )
    return url


@transaction.atomic
def docking_webhook_url_set(*, actor: Any, app: DockingApp, url: str) -> DockingApp:
    """Set (or clear) the app's callback URL; the app's owner only."""
    if not may_authorize(actor, app.enterprise):
        raise DomainError(DockingErrorCode.FORBIDDEN, "无权管理该企业的对接应用", status=403)
    if app.revoked_at is not None:
        raise DomainError(DockingErrorCode.ALREADY_REVOKED, "该应用已撤销", status=409)
    url = webhook_url_check(url)
    before = app.webhook_url
    app.webhook_url = url
    app.save(update_fields=["webhook_url"])
    event_record(
        actor=actor,
        kind=DockingEventKind.WEBHOOK_URL_SET,
        subject=app,
        data={"before": before, "after": url},
    )
    return app


def _moment(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _delivery_new(
    app: DockingApp,
    event: WebhookEvent,
    data: dict[str, Any],
    *,
    request: DockingRequest | None = None,
) -> DockingDelivery:
    now = timezone.now()
    delivery_id = secrets.token_hex(16)
    payload = {
        "event": str(event),
        "deliveryId": delivery_id,
        "appId": app.app_id,
        "createdAt": _moment(now),
        "data": data,
    }
    delivery = DockingDelivery.objects.create(
        delivery_id=delivery_id,
        app=app,
        event=event,
        payload=payload,
        request=request,
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: docking_webhook_task.enqueue(delivery.delivery_id))
    return delivery


def webhook_request_finished(request: DockingRequest) -> DockingDelivery | None:
    """The event of a processed request (the answer of AsyncHandleResult.Query), when its app has a URL."""
    app = request.app
    if not app.webhook_url or app.revoked_at is not None:
        return None
    query = METHODS["AsyncHandleResult.Query"]
    data = query.handler(
        Call(
            app=app,
            actor=app.user,
            project=request.project,
            data={"requestSerialCode": request.serial},
            now=timezone.now(),
        )
    )
    return _delivery_new(app, WebhookEvent.REQUEST_FINISHED, data, request=request)


def webhook_approval_decided(*, request: Any, action: str, note: str = "") -> int:
    """One event per active app with a URL whose scope holds the decided request's project."""
    apps = DockingApp.objects.filter(
        revoked_at__isnull=True, user__projects=request.project
    ).exclude(webhook_url="")
    data = {
        "approvalNo": request.no,
        "kind": request.kind,
        "kindName": request.get_kind_display(),
        "projectCode": request.project.code,
        "action": action,
        "state": request.state,
        "stateName": request.get_state_display(),
        "decidedAt": _moment(request.decided_at or timezone.now()),
        "effectiveOn": request.effective_on.isoformat() if request.effective_on else None,
        "note": note,
    }
    count = 0
    for app in apps.order_by("pk"):
        _delivery_new(app, WebhookEvent.APPROVAL_DECIDED, data)
        count += 1
    return count


def _body(delivery: DockingDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def docking_delivery_attempt(
    delivery_id: str, *, now: dt.datetime | None = None, transport: Transport | None = None
) -> DockingDelivery | None:
    """One attempt of a due delivery (a delivered, failed or not yet due one is left alone): POST it outside any
    transaction, then record the outcome and the next attempt."""
    now = now or timezone.now()
    delivery = DockingDelivery.objects.select_related("app").filter(delivery_id=delivery_id).first()
    if delivery is None or delivery.status != DockingDelivery.Status.PENDING:
        return delivery
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return delivery
    # Claim the attempt: a second worker holding the same id finds next_attempt_at moved and stops.
    claimed = DockingDelivery.objects.filter(
        pk=delivery.pk,
        status=DockingDelivery.Status.PENDING,
        attempts=delivery.attempts,
    ).update(attempts=delivery.attempts + 1, last_attempt_at=now)
    if not claimed:
        return delivery
    delivery.attempts += 1
    app = delivery.app
    if not app.webhook_url or app.revoked_at is not None:
        reply = Reply(0, "应用已撤销或未设置回调地址")
    else:
        body = _body(delivery)
        stamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "smz-webhooks/1.0",
            HEADER_EVENT: delivery.event,
            HEADER_DELIVERY: delivery.delivery_id,
            HEADER_TIMESTAMP: stamp,
            HEADER_SIGNATURE: webhook_signature(app.secret, stamp, body),
        }
        try:
            reply = (transport or _transport)(app.webhook_url, body, headers, TIMEOUT_SECONDS)
        except Exception as exc:  # a broken transport must not leave the delivery stuck
            log.exception("webhook transport failed: delivery=%s", delivery.delivery_id)
            reply = Reply(0, type(exc).__name__)
    delivery.last_status_code = reply.status or None
    final = not app.webhook_url or app.revoked_at is not None  # nothing to retry towards
    if 200 <= reply.status < 300:
        delivery.status = DockingDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        delivery.last_error = (reply.error or f"HTTP {reply.status}")[:200]
        if final or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DockingDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
        ]
    )
    log.info(
        "webhook delivery=%s app=%s attempt=%s status=%s",
        delivery.delivery_id,
        app.app_id,
        delivery.attempts,
        reply.status,
    )
    return delivery


def docking_deliveries_due(
    *, now: dt.datetime | None = None, transport: Transport | None = None, limit: int = 500
) -> int:
    """Attempt every pending delivery whose time has come (the cron command); answers how many."""
    now = now or timezone.now()
    ids = list(
        DockingDelivery.objects.filter(
            status=DockingDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("delivery_id", flat=True)[:limit]
    )
    for delivery_id in ids:
        docking_delivery_attempt(delivery_id, now=now, transport=transport)
    return len(ids)


@transaction.atomic
def docking_delivery_resend(*, actor: Any, delivery: DockingDelivery) -> DockingDelivery:
    """Send a delivered or failed event again (same delivery id: the receiver can tell it is the same event)."""
    if not may_authorize(actor, delivery.app.enterprise):
        raise DomainError(DockingErrorCode.FORBIDDEN, "无权管理该企业的对接应用", status=403)
    if delivery.status == DockingDelivery.Status.PENDING:
        raise DomainError(
            DockingErrorCode.DELIVERY_NOT_RESENDABLE, "该回调正在等待发送，无需重发", status=409
        )
    now = timezone.now()
    delivery.status = DockingDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    event_record(
        actor=actor,
        kind=DockingEventKind.WEBHOOK_RESENT,
        subject=delivery.app,
        data={"delivery": delivery.delivery_id},
    )
    transaction.on_commit(lambda: docking_webhook_task.enqueue(delivery.delivery_id))
    return delivery


def on_approval_decided(
    sender: Any, *, request: Any, action: str, note: str = "", **_: Any
) -> None:
    """Receiver of approvals.signals.request_decided (connected in DockingConfig.ready)."""
    webhook_approval_decided(request=request, action=action, note=note)


@task()
def docking_webhook_task(delivery_id: str) -> str:
    """The background job of one delivery attempt; a retry is enqueued for its time when the backend can defer
    (else `docking_webhooks_deliver` picks it up)."""
    delivery = docking_delivery_attempt(delivery_id)
    if delivery is None:
        return ""
    due = delivery.next_attempt_at
    if delivery.status == DockingDelivery.Status.PENDING and due and due > timezone.now():
        retry = docking_webhook_task.using(run_after=due)
        if retry.get_backend().supports_defer:
            retry.enqueue(delivery.delivery_id)
    return delivery.status
