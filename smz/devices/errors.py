"""Machine-readable error codes of the device protocols (with zh-CN messages for people)."""

from __future__ import annotations

from enum import StrEnum

from smz.core.errors import DomainError


class DevicesErrorCode(StrEnum):
    """Codes answered by devices: prefix `device.`; the device protocols' other codes keep their documented strings."""

    MISSING_HEADERS = "device.missing_headers"
    UNKNOWN = "device.unknown"
    RETIRED = "device.retired"
    STALE_TIMESTAMP = "device.stale_timestamp"
    BAD_SIGNATURE = "device.bad_signature"
    REPLAYED_NONCE = "device.replayed_nonce"
    WRONG_PROTOCOL = "device.wrong_protocol"
    BAD_SERIAL = "device.bad_serial"
    ADDRESS_MISMATCH = "device.address_mismatch"
    ADDRESS_NOT_ALLOWED = "device.address_not_allowed"
    BAD_JSON = "device.bad_json"
    BODY_TOO_LARGE = "device.body_too_large"
    BATCH_TOO_LARGE = "device.batch_too_large"
    BAD_BATCH_ID = "device.bad_batch_id"
    BATCH_ID_MISMATCH = "device.batch_id_mismatch"
    PEOPLE_BAD_CURSOR = "people.bad_cursor"
    BATCH_CONFLICT = "device.batch_conflict"
    WRONG_PROJECT = "device.wrong_project"
    COMMAND_UNKNOWN = "command.unknown"
    SERIAL_TAKEN = "device.serial_taken"
    ALREADY_RETIRED = "device.already_retired"
    NOT_ZKTECO = "device.not_zkteco"
    SYNC_FORBIDDEN = "device.sync_forbidden"
    POLYGON_INVALID = "device.polygon_invalid"
    ZKTECO_BAD_LINE = "zkteco.bad_line"
    ZKTECO_BAD_PIN = "zkteco.bad_pin"
    ZKTECO_BAD_PHOTO = "zkteco.bad_photo"
    RECORD_BAD_ID = "record.bad_id"
    RECORD_MALFORMED = "record.malformed"
    RECORD_CONFLICT = "record.conflict"
    PERSON_INVALID = "person.invalid"
    PERSON_UNKNOWN = "person.unknown"
    PERSON_NOT_ON_SITE = "person.not_on_site"
    TIME_NAIVE = "time.naive"
    TIME_FUTURE = "time.future"
    TIME_TOO_OLD = "time.too_old"
    TIME_INVALID = "time.invalid"
    TIME_OUT_OF_RANGE = "time.out_of_range"
    DIRECTION_INVALID = "direction.invalid"
    DIRECTION_MISSING = "direction.missing"
    VERIFY_MODE_INVALID = "verify_mode.invalid"
    SIMILARITY_INVALID = "similarity.invalid"
    FIRMWARE_INVALID = "firmware.invalid"
    SNAPSHOT_NOT_JPEG = "snapshot.not_jpeg"
    SNAPSHOT_TOO_LARGE = "snapshot.too_large"
    SNAPSHOT_TOO_MANY_PIXELS = "snapshot.too_many_pixels"
    SNAPSHOT_BAD_BASE64 = "snapshot.bad_base64"
    LOCATION_INVALID = "location.invalid"


class DeviceError(DomainError):
    pass


CODES: dict[str, tuple[int, str]] = {
    DevicesErrorCode.MISSING_HEADERS: (401, "缺少签名请求头"),
    DevicesErrorCode.UNKNOWN: (401, "设备未登记"),
    DevicesErrorCode.RETIRED: (403, "设备已停用"),
    DevicesErrorCode.STALE_TIMESTAMP: (401, "请求时间超出允许范围（±300秒）"),
    DevicesErrorCode.BAD_SIGNATURE: (401, "签名错误"),
    DevicesErrorCode.REPLAYED_NONCE: (409, "nonce 已使用，疑似重放"),
    DevicesErrorCode.WRONG_PROTOCOL: (403, "设备登记的协议与接口不符"),
    DevicesErrorCode.BAD_SERIAL: (400, "设备序列号为空、过长或含控制字符"),
    DevicesErrorCode.ADDRESS_MISMATCH: (
        403,
        "终端来源地址与绑定地址不符：请项目管理员在设备页核实后重新绑定",
    ),
    DevicesErrorCode.ADDRESS_NOT_ALLOWED: (403, "终端来源地址不在本项目的终端地址白名单内"),
    DevicesErrorCode.BAD_JSON: (400, "请求体不是有效的JSON对象（或嵌套过深、records 不是数组）"),
    DevicesErrorCode.BODY_TOO_LARGE: (413, "请求体超过20MB：请减少每批记录数后重新上传"),
    DevicesErrorCode.BATCH_TOO_LARGE: (413, "每批最多500条记录"),
    DevicesErrorCode.BAD_BATCH_ID: (400, "批次号应为1–64个字符的文本，不含控制字符"),
    DevicesErrorCode.BATCH_ID_MISMATCH: (400, "请求头与请求体中的批次号不一致"),
    DevicesErrorCode.PEOPLE_BAD_CURSOR: (
        400,
        "游标格式错误：请使用平台返回的游标，或以空游标重新下载",
    ),
    DevicesErrorCode.BATCH_CONFLICT: (409, "批次号已用于另一批记录：请使用新的批次号重新上传"),
}


def device_error(code: str, detail: dict | None = None) -> DeviceError:
    status, message = CODES[code]
    return DeviceError(code, message, detail, status=status)


# Per-record rejection codes (answered inside a 200 batch response; the rest of the batch is kept), and the
# per-field refusals of a heartbeat.
RECORD_CODES: dict[str, str] = {
    DevicesErrorCode.RECORD_BAD_ID: "记录号应为1–64个字符的文本，不含控制字符",
    DevicesErrorCode.RECORD_MALFORMED: "记录格式错误：应为JSON对象",
    DevicesErrorCode.RECORD_CONFLICT: "该记录号已用于内容不同的另一条通行记录（已存储，或在本批中在前），本条未存储：请检查设备是否重复使用记录号",
    DevicesErrorCode.PERSON_INVALID: "人员编号应为正整数（不能是文本、小数或布尔值）",
    DevicesErrorCode.PERSON_UNKNOWN: "人员不存在",
    DevicesErrorCode.PERSON_NOT_ON_SITE: "该人员不在本项目在场名单中",
    DevicesErrorCode.TIME_NAIVE: "通行时间必须带时区偏移（如 +08:00）",
    DevicesErrorCode.TIME_FUTURE: "通行时间晚于服务器当前时间",
    DevicesErrorCode.TIME_TOO_OLD: "通行时间早于设备登记前30天",
    DevicesErrorCode.TIME_INVALID: "时间格式错误：应为带时区偏移的 ISO 8601 文本",
    DevicesErrorCode.TIME_OUT_OF_RANGE: "设备时间与服务器时间相差超过7天，未记录时钟偏差：请按 server_time 校时",
    DevicesErrorCode.DIRECTION_INVALID: "方向应为 in 或 out",
    DevicesErrorCode.DIRECTION_MISSING: "双向设备的通行记录必须注明方向 in 或 out",
    DevicesErrorCode.VERIFY_MODE_INVALID: "验证方式应为不超过16个字符的文本",
    DevicesErrorCode.SIMILARITY_INVALID: "相似度应为0–100之间的数字",
    DevicesErrorCode.FIRMWARE_INVALID: "固件版本应为不超过60个字符的文本，不含控制字符",
    DevicesErrorCode.SNAPSHOT_NOT_JPEG: "抓拍照片不是JPEG",
    DevicesErrorCode.SNAPSHOT_TOO_LARGE: "抓拍照片超过200KB",
    DevicesErrorCode.SNAPSHOT_TOO_MANY_PIXELS: "抓拍照片像素过大（上限2400万像素、单边10000像素）",
    DevicesErrorCode.SNAPSHOT_BAD_BASE64: "抓拍照片应为base64编码的文本",
    DevicesErrorCode.LOCATION_INVALID: "经纬度应为范围内的数字（经度±180，纬度±90）",
}
