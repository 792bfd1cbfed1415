"""Machine-readable error codes of the device protocols (with zh-CN messages for people)."""

from __future__ import annotations

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
    "device.bad_json": (400, "请求体不是有效的JSON"),
    "device.batch_too_large": (413, "每批最多500条记录"),
    "device.batch_conflict": (409, "批次号已用于另一批记录：请使用新的批次号重新上传"),
}


def device_error(code: str, detail: dict | None = None) -> DeviceError:
    status, message = CODES[code]
    return DeviceError(code, message, detail, status=status)


# Per-record rejection codes (answered inside a 200 batch response; the rest of the batch is kept).
RECORD_CODES: dict[str, str] = {
    "record.bad_id": "记录号为空或超过64个字符",
    "record.malformed": "记录格式错误",
    "person.unknown": "人员不存在",
    "person.not_on_site": "该人员不在本项目在场名单中",
    "time.naive": "通行时间必须带时区偏移（如 +08:00）",
    "time.future": "通行时间晚于服务器当前时间",
    "time.too_old": "通行时间早于设备登记前30天",
    "direction.invalid": "方向应为 in 或 out",
    "snapshot.not_jpeg": "抓拍照片不是JPEG",
    "snapshot.too_large": "抓拍照片超过200KB",
    "snapshot.too_many_pixels": "抓拍照片像素过大（上限2400万像素、单边10000像素）",
    "snapshot.bad_base64": "抓拍照片base64编码错误",
    "location.invalid": "经纬度超出范围",
}
