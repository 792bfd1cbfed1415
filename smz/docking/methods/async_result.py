"""AsyncHandleResult.Query: the state of one of the app's own Add/Update requests (0 待处理 / 10 处理失败 / 20 处理成功)."""

from __future__ import annotations

from typing import Any

from smz.docking.methods import fields
from smz.docking.methods.base import Call, RequestRefused, method
from smz.docking.selectors.national import request_of_app


@method("AsyncHandleResult.Query", asynchronous=False, needs_project=False)
def async_result_query(call: Call) -> dict[str, Any]:
    serial = fields.text(call.data, "requestSerialCode", max_length=64)
    request = request_of_app(call.app, serial)
    if request is None:
        raise RequestRefused("[requestSerialCode]请求流水号不存在", "requestSerialCode")
    result = dict(request.result or {})
    failures = result.pop("failures", [])
    return {
        "requestSerialCode": request.serial,
        "method": request.method,
        "status": int(request.status),
        "statusName": request.get_status_display(),
        "total": request.record_count,
        "successCount": request.accepted_count,
        "failCount": request.failed_count,
        "result": failures,
        **result,
    }
