"""REST docking endpoints (/api/v1/docking/…, docs/interfaces/api.md §平台对接 REST): the gateway's methods as plain
JSON for new integrations, authenticated by the docking app's HMAC signature (not a user's token)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Router
from ninja.security import APIKeyHeader

from smz.core import signing
from smz.core.api_errors import errors
from smz.docking.schemas import CALL_BODY, DockingAcceptedOut, DockingQueryOut, DockingResultOut
from smz.docking.services.rest import (
    HEADER_APP,
    HEADER_IDEMPOTENCY,
    rest_authenticate,
    rest_call,
    rest_request_result,
)

router = Router(tags=["docking"])

MethodName = Annotated[
    str,
    Path(
        min_length=3,
        max_length=40,
        pattern=r"^[A-Za-z]{1,30}\.[A-Za-z]{1,10}$",
        description="方法名，与国家平台网关一致，如 Team.Add、ProjectWorker.Add、Project.Query",
        examples=["Team.Add"],
    ),
]
Serial = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="请求流水号（requestSerialCode）",
        examples=["team-add-20261205143000-3f9a1c2b7d"],
    ),
]


class DockingSignature(APIKeyHeader):
    """The docking app's HMAC signature (smz.core.signing) over method, path, timestamp, nonce and body."""

    param_name = signing.HEADER_SIGNATURE
    openapi_description = (
        "对接应用签名：X-Smz-App、X-Smz-Timestamp（Unix 秒）、X-Smz-Nonce、X-Smz-Signature = "
        'hex(HMAC-SHA256(AppSecret, METHOD "\\n" PATH "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(body))))'
    )

    def __call__(self, request: HttpRequest) -> Any:
        headers = request.headers
        app = rest_authenticate(
            app_id=headers.get(HEADER_APP, ""),
            timestamp=headers.get(signing.HEADER_TIMESTAMP, ""),
            nonce=headers.get(signing.HEADER_NONCE, ""),
            signature=headers.get(signing.HEADER_SIGNATURE, ""),
            method=request.method or "",
            path=request.get_full_path(),
            body=request.body,
            now=timezone.now(),
        )
        request.user = app.user
        return app

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return None


AUTH = DockingSignature()


def _signed_headers() -> list[dict[str, Any]]:
    """The signature's other headers, documented (the security scheme names X-Smz-Signature itself)."""
    return [
        {
            "in": "header",
            "name": HEADER_APP,
            "required": True,
            "description": "AppID",
            "schema": {"type": "string", "maxLength": 32},
            "example": "44202026120500001",
        },
        {
            "in": "header",
            "name": signing.HEADER_TIMESTAMP,
            "required": True,
            "description": "Unix 秒，与服务器时间相差不超过 300 秒",
            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
            "example": "1796452200",
        },
        {
            "in": "header",
            "name": signing.HEADER_NONCE,
            "required": True,
            "description": "每次请求不同，≤ 64 个字符",
            "schema": {"type": "string", "maxLength": 64},
            "example": "8f14e45fceea167a5a36dedd4bea2543",
        },
    ]


@router.post(
    "/docking/calls/{method}",
    auth=AUTH,
    response={
        200: DockingQueryOut,
        202: DockingAcceptedOut,
        **errors(400, 401, 403, 404, 409, 413, 422),
    },
    openapi_extra={
        "requestBody": CALL_BODY,
        "parameters": [
            {
                "in": "header",
                "name": HEADER_IDEMPOTENCY,
                "required": False,
                "description": "新增/变更类方法必填：1～64 个可打印 ASCII 字符；同键同内容返回同一流水号，"
                "同键不同内容 409 docking.idempotency_conflict",
                "schema": {"type": "string", "maxLength": 64},
                "example": "3c1d2f0e-team-add-0001",
            },
            *_signed_headers(),
        ],
    },
    summary="调用对接方法（JSON）",
    description="查询类方法返回 200 与查询结果；新增/变更类方法（异步）返回 202 与 requestSerialCode，"
    "用 GET /docking/requests/{serial} 或回调获取处理结果。",
)
def docking_call(request: HttpRequest, method: MethodName, response: HttpResponse) -> Any:
    answer = rest_call(
        app=request.auth,  # type: ignore[attr-defined]
        method_name=method,
        body=request.body,
        idempotency_key=request.headers.get(HEADER_IDEMPOTENCY),
        now=timezone.now(),
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return answer.status, answer.data


@router.get(
    "/docking/requests/{serial}",
    auth=AUTH,
    response={200: DockingResultOut, **errors(401, 404, 409, 422)},
    openapi_extra={"parameters": _signed_headers()},
    summary="查询异步请求的处理结果",
    description="与网关 AsyncHandleResult.Query 相同的结果：status 0 待处理，10 处理失败，20 处理成功。",
)
def docking_request_result(request: HttpRequest, serial: Serial) -> Any:
    return rest_request_result(app=request.auth, serial=serial, now=timezone.now())  # type: ignore[attr-defined]
