"""Machine-readable error answers of the terminal protocols (with zh-CN messages for people).

The per-record codes of a pass batch (and the batch-id conflict) belong to the ingest path:
smz/attendance/errors.py. A heartbeat refuses its fields with the same kind of answer (HEARTBEAT_CODES).
"""

from __future__ import annotations

from enum import StrEnum

from smz.attendance.errors import RECORD_CODES, AttendanceErrorCode
from smz.core.errors import DomainError
from smz.devices.errors import DevicesErrorCode


class TerminalsErrorCode(StrEnum):
    """Codes answered by the terminal protocols: prefix `device.`, shared with the device registry (one domain,
    one prefix); the protocols' other codes keep their documented strings (docs/interfaces/device-direct.md,
    docs/interfaces/zkteco.md)."""

    MISSING_HEADERS = "device.missing_headers"
    UNKNOWN = "device.unknown"
    RETIRED = "device.retired"
    STALE_TIMESTAMP = "device.stale_timestamp"
    BAD_SIGNATURE = "device.bad_signature"
    REPLAYED_NONCE = "device.replayed_nonce"
    WRONG_PROTOCOL = "device.wrong_protocol"
    BAD_SERIAL = "device.bad_serial"
    BAD_JSON = "device.bad_json"
    BODY_TOO_LARGE = "device.body_too_large"
    BATCH_TOO_LARGE = "device.batch_too_large"
    BAD_BATCH_ID = "device.bad_batch_id"
    BATCH_ID_MISMATCH = "device.batch_id_mismatch"
    WRONG_PROJECT = "device.wrong_project"
    PEOPLE_BAD_CURSOR = "people.bad_cursor"
    COMMAND_UNKNOWN = "command.unknown"
    ZKTECO_BAD_LINE = "zkteco.bad_line"
    ZKTECO_BAD_PIN = "zkteco.bad_pin"
    ZKTECO_BAD_PHOTO = "zkteco.bad_photo"
    TIME_OUT_OF_RANGE = "time.out_of_range"
    FIRMWARE_INVALID = "firmware.invalid"


class DeviceError(DomainError):
    pass


CODES: dict[str, tuple[int, str]] = {
    TerminalsErrorCode.MISSING_HEADERS: (401, "缺少签名请求头"),
    TerminalsErrorCode.UNKNOWN: (401, "设备未登记"),
    TerminalsErrorCode.RETIRED: (403, "设备已停用"),
    TerminalsErrorCode.STALE_TIMESTAMP: (401, "请求时间超出允许范围（±300秒）"),
    TerminalsErrorCode.BAD_SIGNATURE: (401, "签名错误"),
    TerminalsErrorCode.REPLAYED_NONCE: (409, "nonce 已使用，疑似重放"),
    TerminalsErrorCode.WRONG_PROTOCOL: (403, "设备登记的协议与接口不符"),
    TerminalsErrorCode.BAD_SERIAL: (400, "设备序列号为空、过长或含控制字符"),
    DevicesErrorCode.ADDRESS_MISMATCH: (
        403,
        "终端来源地址与绑定地址不符：请项目管理员在设备页核实后重新绑定",
    ),
    DevicesErrorCode.ADDRESS_NOT_ALLOWED: (403, "终端来源地址不在本项目的终端地址白名单内"),
    TerminalsErrorCode.BAD_JSON: (400, "请求体不是有效的JSON对象（或嵌套过深、records 不是数组）"),
    TerminalsErrorCode.BODY_TOO_LARGE: (413, "请求体超过20MB：请减少每批记录数后重新上传"),
    TerminalsErrorCode.BATCH_TOO_LARGE: (413, "每批最多500条记录"),
    TerminalsErrorCode.BAD_BATCH_ID: (400, "批次号应为1–64个字符的文本，不含控制字符"),
    TerminalsErrorCode.BATCH_ID_MISMATCH: (400, "请求头与请求体中的批次号不一致"),
    TerminalsErrorCode.PEOPLE_BAD_CURSOR: (
        400,
        "游标格式错误：请使用平台返回的游标，或以空游标重新下载",
    ),
}


def device_error(code: str, detail: dict | None = None) -> DeviceError:
    status, message = CODES[code]
    return DeviceError(code, message, detail, status=status)


# The per-field refusals of a heartbeat (answered inside its 200 response); a bad device_time is refused with
# the same code and reason as a record's bad time.
HEARTBEAT_CODES: dict[str, str] = {
    AttendanceErrorCode.TIME_INVALID: RECORD_CODES[AttendanceErrorCode.TIME_INVALID],
    TerminalsErrorCode.TIME_OUT_OF_RANGE: "设备时间与服务器时间相差超过7天，未记录时钟偏差：请按 server_time 校时",
    TerminalsErrorCode.FIRMWARE_INVALID: "固件版本应为不超过60个字符的文本，不含控制字符",
}
