"""The gateway's checks and dispatch (附件8): one call = one signed form; the answer is `{code, message, data}`.

Checked in this order, each refusal with its own GatewayCode and Chinese message, and an HTTP status that says the
same (4xx for the caller's mistakes): fields present → format/version → app known and not revoked → sign →
timestamp within 5 minutes → nonce unused → method known → data a JSON object → sensitive fields decrypt →
project in the app's scope → record count ≤ 500. A query answers at once; an Add/Update is stored (committed before
the answer, so an acknowledged request is never lost) and processed by the background worker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from smz.docking import protocol
from smz.docking.errors import GATEWAY_MESSAGES, GatewayCode
from smz.docking.methods import MAX_RECORDS, METHODS, Call, RequestRefused
from smz.docking.methods.base import Method
from smz.docking.methods.fields import FieldError
from smz.docking.models import DockingApp, DockingNonce, DockingRequest
from smz.docking.services.requests import docking_request_task
from smz.registry.scoping import projects_for

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(minutes=5)

_STATUS = {
    GatewayCode.OK: 200,
    GatewayCode.MISSING_FIELD: 400,
    GatewayCode.BAD_FORMAT: 400,
    GatewayCode.BAD_VERSION: 400,
    GatewayCode.UNKNOWN_APP: 401,
    GatewayCode.APP_REVOKED: 401,
    GatewayCode.BAD_SIGN: 401,
    GatewayCode.STALE_TIMESTAMP: 401,
    GatewayCode.NONCE_REUSED: 409,
    GatewayCode.UNKNOWN_METHOD: 400,
    GatewayCode.BAD_DATA: 400,
    GatewayCode.BAD_CIPHER: 400,
    GatewayCode.PROJECT_OUT_OF_SCOPE: 403,
    GatewayCode.TOO_MANY_RECORDS: 413,
    GatewayCode.REQUEST_NOT_FOUND: 404,
    GatewayCode.TOO_LARGE: 413,
    GatewayCode.INVALID_FIELD: 400,
    GatewayCode.SERVER_ERROR: 500,
}


@dataclass
class Answer:
    code: GatewayCode
    message: str
    data: Any = None
    status: int = 200
    app: DockingApp | None = field(default=None, repr=False)

    def body(self) -> dict[str, Any]:
        return {"code": int(self.code), "message": self.message, "data": self.data}


def refusal(code: GatewayCode, detail: str = "") -> Answer:
    message = GATEWAY_MESSAGES[code] + (f"：{detail}" if detail else "")
    return Answer(code, message, None, _STATUS[code])


def _ok(data: Any, app: DockingApp) -> Answer:
    return Answer(GatewayCode.OK, GATEWAY_MESSAGES[GatewayCode.OK], data, 200, app)


def _serial(method: str, now: dt.datetime) -> str:
    return f"{method.lower().replace('.', '-')}-{protocol.timestamp_of(now)}-{secrets.token_hex(5)}"


def _nonce_fresh(app: DockingApp, nonce: str, now: dt.datetime) -> bool:
    DockingNonce.objects.filter(app=app, seen_at__lt=now - 2 * WINDOW).delete()
    try:
        with transaction.atomic():
            DockingNonce.objects.create(app=app, nonce=nonce, seen_at=now)
    except IntegrityError:
        return False
    return True


def app_for_call(app_id: str) -> DockingApp | None:
    """The app a call names (with its service account and enterprise), revoked or not."""
    return (
        DockingApp.objects.select_related("user", "enterprise").filter(app_id=app_id[:32]).first()
    )


def nonce_fresh(app: DockingApp, nonce: str, now: dt.datetime) -> bool:
    """Record the app's nonce; False when it is too long or the app already used it in the window (a replay)."""
    return len(nonce) <= 64 and _nonce_fresh(app, nonce, now)


def dispatch(
    app: DockingApp,
    method: Method,
    data: dict[str, Any],
    *,
    now: dt.datetime,
    idempotency_key: str = "",
    body_hash: str = "",
) -> Answer:
    """Run one authenticated call whose `data` is plaintext (sensitive fields decrypted): project in the app's
    scope → record count ≤ 500 → a query's answer (plaintext `data`) at once, or an Add/Update stored and
    enqueued (`data` = `{requestSerialCode}`). Shared by the gateway and the REST docking API."""
    DockingApp.objects.filter(pk=app.pk).update(last_call_at=now)

    project = None
    if method.needs_project:
        code = data.get("projectCode")
        if isinstance(code, str) and code:
            project = projects_for(app.user).filter(code=code).first()
        if project is None:
            return refusal(GatewayCode.PROJECT_OUT_OF_SCOPE)
    count = 1
    if method.list_field:
        items = data.get(method.list_field)
        if not isinstance(items, list) or not items:
            return refusal(GatewayCode.INVALID_FIELD, f"[{method.list_field}]应为非空数组")
        if len(items) > MAX_RECORDS:
            return refusal(
                GatewayCode.TOO_MANY_RECORDS, f"{method.list_field} 最多 {MAX_RECORDS} 条"
            )
        count = len(items)

    call = Call(app=app, actor=app.user, project=project, data=data, now=now)
    if not method.asynchronous:
        try:
            answer = method.handler(call)
        except (FieldError, RequestRefused) as exc:
            return refusal(GatewayCode.INVALID_FIELD, exc.message)
        return _ok(answer, app)

    assert project is not None  # every Add/Update names its project
    request = DockingRequest.objects.create(
        serial=_serial(method.name, now),
        app=app,
        project=project,
        method=method.name,
        data=json.dumps(data, ensure_ascii=False),
        record_count=count,
        received_at=now,
        idempotency_key=idempotency_key,
        body_hash=body_hash,
    )
    transaction.on_commit(lambda: docking_request_task.enqueue(request.serial))
    return _ok({"requestSerialCode": request.serial}, app)


def gateway_call(form: dict[str, Any], *, now: dt.datetime | None = None) -> Answer:
    """Check and answer one call. `form` maps field names to the posted strings."""
    now = now or timezone.now()
    for name in protocol.ENVELOPE_FIELDS:
        value = form.get(name)
        if not isinstance(value, str) or value == "":
            return refusal(GatewayCode.MISSING_FIELD, name)
    if form["format"] != protocol.FORMAT:
        return refusal(GatewayCode.BAD_FORMAT)
    if form["version"] != protocol.VERSION:
        return refusal(GatewayCode.BAD_VERSION)
    app = app_for_call(form["appid"])
    if app is None:
        return refusal(GatewayCode.UNKNOWN_APP)
    if app.revoked_at is not None:
        return refusal(GatewayCode.APP_REVOKED)
    if not protocol.sign_matches(form, app.secret):
        log.warning("docking call refused: app#%s bad sign", app.pk)
        return refusal(GatewayCode.BAD_SIGN)
    moment = protocol.parse_timestamp(form["timestamp"])
    if moment is None or abs(moment - now) > WINDOW:
        return refusal(GatewayCode.STALE_TIMESTAMP)
    if not nonce_fresh(app, form["nonce"], now):
        return refusal(GatewayCode.NONCE_REUSED)
    method = METHODS.get(form["method"])
    if method is None:
        return refusal(GatewayCode.UNKNOWN_METHOD, form["method"][:40])
    try:
        data = json.loads(form["data"])
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return refusal(GatewayCode.BAD_DATA)
    data, bad = protocol.decrypt_sensitive(data, app.secret)
    if bad:
        return refusal(GatewayCode.BAD_CIPHER, "、".join(bad[:5]))
    answer = dispatch(app, method, data, now=now)
    if answer.code == GatewayCode.OK and not method.asynchronous:
        answer.data = protocol.encrypt_sensitive(answer.data, app.secret)
    return answer
