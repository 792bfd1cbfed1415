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
    "device.batch_conflict": (409, "批次号已用于另一批记录：请使用新的批次号重新上传"),
}


def device_error(code: str, detail: dict | None = None) -> DeviceError:
    status, message = CODES[code]
    return DeviceError(code, message, detail, status=status)


# Per-record rejection codes (answered inside a 200 batch response; the rest of the batch is kept), and the
# per-field refusals of a heartbeat.
RECORD_CODES: dict[str, str] = {
    "record.bad_id": "记录号应为1–64个字符的文本，不含控制字符",
    "record.malformed": "记录格式错误：应为JSON对象",
    "record.conflict": "该记录号已用于内容不同的另一条通行记录（已存储，或在本批中在前），本条未存储：请检查设备是否重复使用记录号",
    "person.invalid": "人员编号应为正整数（不能是文本、小数或布尔值）",
    "person.unknown": "人员不存在",
    "person.not_on_site": "该人员不在本项目在场名单中",
    "time.naive": "通行时间必须带时区偏移（如 +08:00）",
    "time.future": "通行时间晚于服务器当前时间",
    "time.too_old": "通行时间早于设备登记前30天",
    "time.invalid": "时间格式错误：应为带时区偏移的 ISO 8601 文本",
    "time.out_of_range": "设备时间与服务器时间相差超过7天，未记录时钟偏差：请按 server_time 校时",
    "direction.invalid": "方向应为 in 或 out",
    "direction.missing": "双向设备的通行记录必须注明方向 in 或 out",
    "verify_mode.invalid": "验证方式应为不超过16个字符的文本",
    "similarity.invalid": "相似度应为0–100之间的数字",
    "firmware.invalid": "固件版本应为不超过60个字符的文本，不含控制字符",
    "snapshot.not_jpeg": "抓拍照片不是JPEG",
    "snapshot.too_large": "抓拍照片超过200KB",
    "snapshot.too_many_pixels": "抓拍照片像素过大（上限2400万像素、单边10000像素）",
    "snapshot.bad_base64": "抓拍照片应为base64编码的文本",
    "location.invalid": "经纬度应为范围内的数字（经度±180，纬度±90）",
}
