"""The gateway endpoint (附件8): POST /docking/v1/gateway, a form in the national envelope, a JSON answer
`{code, message, data}`. It checks the body's declared length itself (before reading it), like the device protocols."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smz.docking.errors import GatewayCode
from smz.docking.services.gateway import gateway_call, refusal

log = logging.getLogger(__name__)


def _answer(answer) -> JsonResponse:
    return JsonResponse(
        answer.body(), status=answer.status, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt
@require_POST
def gateway(request: HttpRequest) -> JsonResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.SMZ_DOCKING_MAX_BYTES:
        return _answer(
            refusal(GatewayCode.TOO_LARGE, f"上限 {settings.SMZ_DOCKING_MAX_BYTES // 2**20} MB")
        )
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _answer(
            refusal(GatewayCode.MISSING_FIELD, "请以 application/x-www-form-urlencoded 表单提交")
        )
    try:
        # Read from the stream: `request.body` would refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE (20 MB) with
        # Django's plain 400; the gateway's own limit (checked above) is SMZ_DOCKING_MAX_BYTES.
        raw = request.read(settings.SMZ_DOCKING_MAX_BYTES + 1)
        if len(raw) > settings.SMZ_DOCKING_MAX_BYTES:
            return _answer(refusal(GatewayCode.TOO_LARGE))
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return _answer(refusal(GatewayCode.BAD_DATA, "表单不是有效的 UTF-8 编码"))
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        return _answer(refusal(GatewayCode.INVALID_FIELD, f"参数重复：{repeated[0][:20]}"))
    form = {name: values[0] for name, values in parsed.items()}
    try:
        answer = gateway_call(form)
    except Exception:
        log.exception("docking gateway failed: method=%s", str(form.get("method", ""))[:40])
        answer = refusal(GatewayCode.SERVER_ERROR)
    return _answer(answer)
