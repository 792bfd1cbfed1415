"""Error codes of attendance: its pages' codes and the machine-readable codes of the one ingest path (with zh-CN reasons for people): why a pass record was refused,
and the refusal of a batch id already used for other records. The code strings are part of the device protocols
(docs/interfaces/device-direct.md §6): never rename one.
"""

from __future__ import annotations

from enum import StrEnum

from smz.core.errors import DomainError


class AttendanceErrorCode(StrEnum):
    """Codes answered by attendance: prefix `attendance.`; the ingest path's per-record codes and the batch-id
    conflict keep the strings the device protocols document (docs/interfaces/device-direct.md §6)."""

    MONTH_INVALID = "attendance.month_invalid"
    DATE_INVALID = "attendance.date_invalid"
    RANGE_TOO_LONG = "attendance.range_too_long"
    CONTEST_FORBIDDEN = "attendance.contest_forbidden"
    CONTEST_NOT_INVALID = "attendance.contest_not_invalid"
    CONTEST_OPEN = "attendance.contest_open"
    CONTEST_DECIDED = "attendance.contest_decided"
    CONTEST_TEXT = "attendance.contest_text"
    BATCH_CONFLICT = "device.batch_conflict"
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
    DIRECTION_INVALID = "direction.invalid"
    DIRECTION_MISSING = "direction.missing"
    VERIFY_MODE_INVALID = "verify_mode.invalid"
    SIMILARITY_INVALID = "similarity.invalid"
    SNAPSHOT_NOT_JPEG = "snapshot.not_jpeg"
    SNAPSHOT_TOO_LARGE = "snapshot.too_large"
    SNAPSHOT_TOO_MANY_PIXELS = "snapshot.too_many_pixels"
    SNAPSHOT_BAD_BASE64 = "snapshot.bad_base64"
    LOCATION_INVALID = "location.invalid"


# Per-record rejection codes (answered inside a 200 batch response; the rest of the batch is kept). A protocol
# adapter may decide one itself (RawPass.refused: strict field types); the ingest path decides the rest.
RECORD_CODES: dict[str, str] = {
    AttendanceErrorCode.RECORD_BAD_ID: "记录号应为1–64个字符的文本，不含控制字符",
    AttendanceErrorCode.RECORD_MALFORMED: "记录格式错误：应为JSON对象",
    AttendanceErrorCode.RECORD_CONFLICT: "该记录号已用于内容不同的另一条通行记录（已存储，或在本批中在前），本条未存储：请检查设备是否重复使用记录号",
    AttendanceErrorCode.PERSON_INVALID: "人员编号应为正整数（不能是文本、小数或布尔值）",
    AttendanceErrorCode.PERSON_UNKNOWN: "人员不存在",
    AttendanceErrorCode.PERSON_NOT_ON_SITE: "该人员不在本项目在场名单中",
    AttendanceErrorCode.TIME_NAIVE: "通行时间必须带时区偏移（如 +08:00）",
    AttendanceErrorCode.TIME_FUTURE: "通行时间晚于服务器当前时间",
    AttendanceErrorCode.TIME_TOO_OLD: "通行时间早于设备登记前30天",
    AttendanceErrorCode.TIME_INVALID: "时间格式错误：应为带时区偏移的 ISO 8601 文本",
    AttendanceErrorCode.DIRECTION_INVALID: "方向应为 in 或 out",
    AttendanceErrorCode.DIRECTION_MISSING: "双向设备的通行记录必须注明方向 in 或 out",
    AttendanceErrorCode.VERIFY_MODE_INVALID: "验证方式应为不超过16个字符的文本",
    AttendanceErrorCode.SIMILARITY_INVALID: "相似度应为0–100之间的数字",
    AttendanceErrorCode.SNAPSHOT_NOT_JPEG: "抓拍照片不是JPEG",
    AttendanceErrorCode.SNAPSHOT_TOO_LARGE: "抓拍照片超过200KB",
    AttendanceErrorCode.SNAPSHOT_TOO_MANY_PIXELS: "抓拍照片像素过大（上限2400万像素、单边10000像素）",
    AttendanceErrorCode.SNAPSHOT_BAD_BASE64: "抓拍照片应为base64编码的文本",
    AttendanceErrorCode.LOCATION_INVALID: "经纬度应为范围内的数字（经度±180，纬度±90）",
}


def batch_conflict(batch_id: str) -> DomainError:
    """A batch id already stored with other records: the whole batch is refused (409)."""
    return DomainError(
        AttendanceErrorCode.BATCH_CONFLICT,
        "批次号已用于另一批记录：请使用新的批次号重新上传",
        {"batch_id": batch_id},
        status=409,
    )
