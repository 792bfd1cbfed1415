"""Machine-readable error answers of the terminal protocols (with zh-CN messages for people).

The per-record codes of a pass batch (and the batch-id conflict) belong to the ingest path:
smz/attendance/errors.py. A heartbeat refuses its fields with the same kind of answer (HEARTBEAT_CODES).
"""

from __future__ import annotations

from smz.attendance.errors import RECORD_CODES
from smz.core.errors import DomainError


class DeviceError(DomainError):
    pass


CODES: dict[str, tuple[int, str]] = {
    "device.missing_headers": (401, "缺少签名请求头"),
    "device.unknown": (401, "设备未登记"),
    "device.retired": (403, "设备已停用"),
    "device.stale_timestamp": (401, "请求时间超出允许范围（±300秒）"),
    "device.bad_signature": (401, "签名错误"),
    "device.replayed_nonce": (409, "nonce 已使用，疑似重放"),
    "device.wrong_protocol": (403, "设备登记的协议与接口不符"),
    "device.bad_serial": (400, "设备序列号为空、过长或含控制字符"),
    "device.address_mismatch": (
        403,
        "终端来源地址与绑定地址不符：请项目管理员在设备页核实后重新绑定",
    ),
    "device.address_not_allowed": (403, "终端来源地址不在本项目的终端地址白名单内"),
    "device.bad_json": (400, "请求体不是有效的JSON对象（或嵌套过深、records 不是数组）"),
    "device.body_too_large": (413, "请求体超过20MB：请减少每批记录数后重新上传"),
    "device.batch_too_large": (413, "每批最多500条记录"),
    "device.bad_batch_id": (400, "批次号应为1–64个字符的文本，不含控制字符"),
    "device.batch_id_mismatch": (400, "请求头与请求体中的批次号不一致"),
    "people.bad_cursor": (400, "游标格式错误：请使用平台返回的游标，或以空游标重新下载"),
}


def device_error(code: str, detail: dict | None = None) -> DeviceError:
    status, message = CODES[code]
    return DeviceError(code, message, detail, status=status)


# The per-field refusals of a heartbeat (answered inside its 200 response); a bad device_time is refused with
# the same code and reason as a record's bad time.
HEARTBEAT_CODES: dict[str, str] = {
    "time.invalid": RECORD_CODES["time.invalid"],
    "time.out_of_range": "设备时间与服务器时间相差超过7天，未记录时钟偏差：请按 server_time 校时",
    "firmware.invalid": "固件版本应为不超过60个字符的文本，不含控制字符",
}
