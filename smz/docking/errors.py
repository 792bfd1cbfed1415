"""Error codes of docking (one enum per app; the strings are what machines and pages receive).

The gateway answers the national envelope's numeric `code` (GatewayCode); the per-record results of asynchronous
requests and the pages use DockingErrorCode.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class GatewayCode(IntEnum):
    """`code` of a gateway answer (docs/interfaces/platform-docking.md §错误码). 0 = accepted."""

    OK = 0
    MISSING_FIELD = 1001
    BAD_FORMAT = 1002
    BAD_VERSION = 1003
    UNKNOWN_APP = 1004
    APP_REVOKED = 1005
    BAD_SIGN = 1006
    STALE_TIMESTAMP = 1007
    NONCE_REUSED = 1008
    UNKNOWN_METHOD = 1009
    BAD_DATA = 1010
    BAD_CIPHER = 1011
    PROJECT_OUT_OF_SCOPE = 1012
    TOO_MANY_RECORDS = 1013
    REQUEST_NOT_FOUND = 1014
    TOO_LARGE = 1015
    INVALID_FIELD = 1016
    SERVER_ERROR = 5000


GATEWAY_MESSAGES: dict[GatewayCode, str] = {
    GatewayCode.OK: "成功",
    GatewayCode.MISSING_FIELD: "缺少必填参数",
    GatewayCode.BAD_FORMAT: "format 只支持 json",
    GatewayCode.BAD_VERSION: "version 只支持 1.0",
    GatewayCode.UNKNOWN_APP: "appid 不存在",
    GatewayCode.APP_REVOKED: "appid 已被撤销授权",
    GatewayCode.BAD_SIGN: "签名错误",
    GatewayCode.STALE_TIMESTAMP: "timestamp 与服务器时间相差超过5分钟",
    GatewayCode.NONCE_REUSED: "nonce 已使用，请求被视为重放",
    GatewayCode.UNKNOWN_METHOD: "method 不存在",
    GatewayCode.BAD_DATA: "data 不是有效的 JSON 对象",
    GatewayCode.BAD_CIPHER: "加密字段无法解密",
    GatewayCode.PROJECT_OUT_OF_SCOPE: "项目不存在或不在本应用的授权范围内",
    GatewayCode.TOO_MANY_RECORDS: "单次记录数超过上限",
    GatewayCode.REQUEST_NOT_FOUND: "请求流水号不存在",
    GatewayCode.TOO_LARGE: "请求体超过大小上限",
    GatewayCode.INVALID_FIELD: "字段值无效",
    GatewayCode.SERVER_ERROR: "服务器内部错误，请稍后重试",
}


class DockingErrorCode(StrEnum):
    """Codes answered by docking: prefix `docking.`."""

    FORBIDDEN = "docking.forbidden"
    NOT_GC = "docking.not_gc"
    NAME_REQUIRED = "docking.name_required"
    NO_PROJECTS = "docking.no_projects"
    ALREADY_REVOKED = "docking.already_revoked"
    REASON_REQUIRED = "docking.reason_required"
    SANDBOX_SCOPE = "docking.sandbox_scope"
    # Per-record results of asynchronous requests.
    RECORD_INVALID = "docking.record_invalid"
    ORDER_PARTICIPANT = "docking.order_participant"
    ORDER_TEAM = "docking.order_team"
    ORDER_WORKER = "docking.order_worker"
    FUTURE_DATE = "docking.future_date"
    BAD_CODE = "docking.bad_code"
    BAD_IMAGE = "docking.bad_image"
    REFUSED = "docking.refused"
    FORBIDDEN_RECORD = "docking.record_forbidden"
    WORKER_ELSEWHERE = "docking.worker_other_employer"
    NAME_MISMATCH = "docking.name_mismatch"
    ALREADY_ON_PROJECT = "docking.already_on_project"
    CONTACT_CHANGE = "docking.contact_change_evidence"
    ROLE_RESERVED = "docking.corp_type_reserved"
    UNKNOWN_PARTICIPANT = "docking.unknown_participant"
    UNKNOWN_WORKER = "docking.unknown_worker"
    DUPLICATE_IN_LIST = "docking.duplicate_in_list"
    HISTORY_DATE = "docking.history_date"
    NOT_IN_TEAM = "docking.not_in_team"
    NO_ATTENDANCE = "docking.no_attendance"
    ALREADY_SUBMITTED = "docking.already_submitted"
    # REST docking (/api/v1/docking/…, docs/interfaces/api.md §平台对接 REST).
    SIGNATURE_MISSING = "docking.signature_missing"
    UNKNOWN_APP = "docking.unknown_app"
    APP_REVOKED = "docking.app_revoked"
    BAD_SIGNATURE = "docking.bad_signature"
    STALE_TIMESTAMP = "docking.stale_timestamp"
    NONCE_REUSED = "docking.nonce_reused"
    UNKNOWN_METHOD = "docking.unknown_method"
    BAD_DATA = "docking.bad_data"
    PROJECT_OUT_OF_SCOPE = "docking.project_out_of_scope"
    TOO_MANY_RECORDS = "docking.too_many_records"
    INVALID_FIELD = "docking.invalid_field"
    IDEMPOTENCY_KEY_REQUIRED = "docking.idempotency_key_required"
    IDEMPOTENCY_KEY_INVALID = "docking.idempotency_key_invalid"
    IDEMPOTENCY_CONFLICT = "docking.idempotency_conflict"
    REQUEST_NOT_FOUND = "docking.request_not_found"
    # Webhooks.
    WEBHOOK_URL_INVALID = "docking.webhook_url_invalid"
    DELIVERY_NOT_RESENDABLE = "docking.delivery_not_resendable"
    # Upward reporting (数据上报).
    UPSTREAM_INVALID = "docking.upstream_invalid"
