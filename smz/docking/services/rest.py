"""REST docking (/api/v1/docking/…, docs/interfaces/api.md §平台对接 REST): the gateway's methods as plain JSON, for
new integrations. The same app credentials, checks and dispatch as the national gateway (services/gateway.py),
without its form envelope and AES: TLS protects the body, an HMAC signature over it authenticates the app.

    X-Smz-App: <app id>   X-Smz-Timestamp: <Unix seconds>   X-Smz-Nonce: <≤ 64 characters, once per call>
    X-Smz-Signature: hex(HMAC-SHA256(app secret, METHOD "\\n" PATH?QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n"
                                     hex(SHA-256(body bytes))))            (smz.core.signing, as devices sign)

An Add/Update also needs `Idempotency-Key` (1–64 printable ASCII characters, unique per app): the same key with the
same method and body answers the request it first stored (nothing stored twice); with another body it is a 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from smz.core import signing
from smz.core.errors import CoreErrorCode, DomainError
from smz.docking.errors import DockingErrorCode as E
from smz.docking.errors import GatewayCode
from smz.docking.methods import METHODS, Call
from smz.docking.methods.base import Method
from smz.docking.models import DockingApp, DockingRequest
from smz.docking.selectors.national import request_by_key, request_of_app
from smz.docking.services.gateway import app_for_call, dispatch, nonce_fresh

log = logging.getLogger(__name__)

HEADER_APP = "X-Smz-App"
HEADER_IDEMPOTENCY = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 64

# A refusal of the shared dispatch → the REST code and status (a field refused by a method is a 422).
_REFUSALS: dict[GatewayCode, tuple[E, int]] = {
    GatewayCode.UNKNOWN_METHOD: (E.UNKNOWN_METHOD, 404),
    GatewayCode.PROJECT_OUT_OF_SCOPE: (E.PROJECT_OUT_OF_SCOPE, 403),
    GatewayCode.TOO_MANY_RECORDS: (E.TOO_MANY_RECORDS, 413),
    GatewayCode.INVALID_FIELD: (E.INVALID_FIELD, 422),
}


def _refuse(
    code: E | CoreErrorCode, message: str, status: int, detail: dict[str, Any] | None = None
) -> DomainError:
    return DomainError(code, message, detail or {}, status=status)


def rest_authenticate(
    *,
    app_id: str,
    timestamp: str,
    nonce: str,
    signature: str,
    method: str,
    path: str,
    body: bytes,
    now: dt.datetime,
) -> DockingApp:
    """The app whose signature the request carries, or a DomainError (401; 409 for a used nonce)."""
    if not (app_id or timestamp or nonce or signature):
        # No app credentials at all (an anonymous caller, a person's session or token): the API's own answer.
        raise _refuse(
            CoreErrorCode.UNAUTHENTICATED,
            "未认证：平台对接接口须以对接应用的签名调用（X-Smz-App、X-Smz-Timestamp、X-Smz-Nonce、X-Smz-Signature）",
            401,
        )
    if not (app_id and timestamp and nonce and signature):
        raise _refuse(
            E.SIGNATURE_MISSING,
            "缺少签名请求头：X-Smz-App、X-Smz-Timestamp、X-Smz-Nonce、X-Smz-Signature",
            401,
        )
    app = app_for_call(app_id)
    if app is None:
        raise _refuse(E.UNKNOWN_APP, "AppID 不存在", 401)
    if app.revoked_at is not None:
        raise _refuse(E.APP_REVOKED, "AppID 已被撤销授权", 401)
    expected = signing.sign(app.secret, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        log.warning("docking rest call refused: app#%s bad signature", app.pk)
        raise _refuse(E.BAD_SIGNATURE, "签名错误", 401)
    if (
        not (timestamp.isdigit() and len(timestamp) <= 12)
        or abs(int(timestamp) - now.timestamp()) > signing.WINDOW_SECONDS
    ):
        raise _refuse(E.STALE_TIMESTAMP, "X-Smz-Timestamp 与服务器时间相差超过5分钟", 401)
    if not nonce_fresh(app, nonce, now):
        raise _refuse(E.NONCE_REUSED, "X-Smz-Nonce 已使用，请求被视为重放", 409)
    return app


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _data(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise _refuse(E.BAD_DATA, "请求体应为 JSON 对象（UTF-8，不含 NaN/Infinity）", 400)
    return data


def idempotency_key_check(key: str | None) -> str:
    if key is None or key == "":
        raise _refuse(
            E.IDEMPOTENCY_KEY_REQUIRED,
            "新增、变更类方法须带 Idempotency-Key 请求头",
            400,
            {"fields": {HEADER_IDEMPOTENCY: "必填"}},
        )
    if len(key) > IDEMPOTENCY_KEY_MAX or not all(33 <= ord(c) <= 126 for c in key):
        reason = f"应为 1～{IDEMPOTENCY_KEY_MAX} 个可打印 ASCII 字符（不含空格）"
        raise _refuse(
            E.IDEMPOTENCY_KEY_INVALID,
            f"Idempotency-Key {reason}",
            400,
            {"fields": {HEADER_IDEMPOTENCY: reason}},
        )
    return key


def body_digest(method: str, data: dict[str, Any]) -> str:
    """SHA-256 of the method and the body's JSON, keys sorted: the same data sent with other spacing or key order
    is the same body."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class RestAnswer:
    status: int  # 200 a query's answer, 202 an Add/Update accepted
    data: dict[str, Any]
    replayed: bool = False


def _accepted(request: DockingRequest, *, replayed: bool) -> RestAnswer:
    return RestAnswer(
        202,
        {
            "requestSerialCode": request.serial,
            "method": request.method,
            "status": int(request.status),
            "statusName": request.get_status_display(),
        },
        replayed,
    )


def _replay(app: DockingApp, key: str, digest: str) -> RestAnswer | None:
    earlier = request_by_key(app, key)
    if earlier is None:
        return None
    if earlier.body_hash != digest:
        raise _refuse(
            E.IDEMPOTENCY_CONFLICT,
            "该 Idempotency-Key 已用于另一请求（方法或内容不同）；新请求请换一个新的键",
            409,
            {"requestSerialCode": earlier.serial},
        )
    return _accepted(earlier, replayed=True)


def _method(name: str) -> Method:
    method = METHODS.get(name)
    if method is None:
        raise _refuse(E.UNKNOWN_METHOD, "方法不存在", 404)
    return method


def rest_call(
    *, app: DockingApp, method_name: str, body: bytes, idempotency_key: str | None, now: dt.datetime
) -> RestAnswer:
    """One authenticated call: a query answered at once (200), an Add/Update stored once per key (202)."""
    method = _method(method_name)
    data = _data(body)
    if not method.asynchronous:
        answer = dispatch(app, method, data, now=now)
        if answer.code != GatewayCode.OK:
            raise _refused(answer)
        return RestAnswer(200, answer.data)
    key = idempotency_key_check(idempotency_key)
    digest = body_digest(method.name, data)
    if (replay := _replay(app, key, digest)) is not None:
        return replay
    try:
        with transaction.atomic():
            answer = dispatch(app, method, data, now=now, idempotency_key=key, body_hash=digest)
    except IntegrityError:
        # The same key raced in from a parallel call: answer what that one stored.
        replay = _replay(app, key, digest)
        if replay is None:
            raise
        return replay
    if answer.code != GatewayCode.OK:
        raise _refused(answer)
    stored = request_by_key(app, key)
    assert stored is not None  # dispatch stored it under this key just now
    return _accepted(stored, replayed=False)


def _refused(answer: Any) -> DomainError:
    code, status = _REFUSALS.get(answer.code, (E.INVALID_FIELD, 422))
    return _refuse(code, answer.message, status, {"gatewayCode": int(answer.code)})


def rest_request_result(*, app: DockingApp, serial: str, now: dt.datetime) -> dict[str, Any]:
    """An Add/Update request of the app, as AsyncHandleResult.Query answers it; another app's is not found."""
    request = request_of_app(app, serial)
    if request is None:
        raise _refuse(E.REQUEST_NOT_FOUND, "请求流水号不存在", 404)
    query = METHODS["AsyncHandleResult.Query"]
    answer: dict[str, Any] = query.handler(
        Call(
            app=app,
            actor=app.user,
            project=request.project,
            data={"requestSerialCode": serial},
            now=now,
        )
    )
    return answer
