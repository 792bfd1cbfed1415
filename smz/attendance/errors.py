"""Machine-readable codes of the one ingest path (with zh-CN reasons for people): why a pass record was refused,
and the refusal of a batch id already used for other records. The code strings are part of the device protocols
(docs/interfaces/device-direct.md §6): never rename one.
"""

from __future__ import annotations

from smz.core.errors import DomainError

# Per-record rejection codes (answered inside a 200 batch response; the rest of the batch is kept). A protocol
# adapter may decide one itself (RawPass.refused: strict field types); the ingest path decides the rest.
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
    "direction.invalid": "方向应为 in 或 out",
    "direction.missing": "双向设备的通行记录必须注明方向 in 或 out",
    "verify_mode.invalid": "验证方式应为不超过16个字符的文本",
    "similarity.invalid": "相似度应为0–100之间的数字",
    "snapshot.not_jpeg": "抓拍照片不是JPEG",
    "snapshot.too_large": "抓拍照片超过200KB",
    "snapshot.too_many_pixels": "抓拍照片像素过大（上限2400万像素、单边10000像素）",
    "snapshot.bad_base64": "抓拍照片应为base64编码的文本",
    "location.invalid": "经纬度应为范围内的数字（经度±180，纬度±90）",
}


def batch_conflict(batch_id: str) -> DomainError:
    """A batch id already stored with other records: the whole batch is refused (409)."""
    return DomainError(
        "device.batch_conflict",
        "批次号已用于另一批记录：请使用新的批次号重新上传",
        {"batch_id": batch_id},
        status=409,
    )
