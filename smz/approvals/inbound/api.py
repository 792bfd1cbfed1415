"""Inbound interface v1 (市级系统对接接口): the permit system, the quality center and the safety center post
their notices to /inbound/v1/, signed like the device protocol. Spec: docs/interfaces/inbound.md."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import random
import re
import time
from typing import Annotated, Any, NoReturn

from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from pydantic import BeforeValidator, ConfigDict

from smz.approvals.errors import ApprovalsErrorCode
from smz.approvals.inbound import services
from smz.approvals.models import InboundSystem
from smz.core import signing
from smz.core.api_errors import envelope, install_envelope
from smz.core.errors import CoreErrorCode

log = logging.getLogger(__name__)

HEADER_SYSTEM = "X-Smz-System"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> dt.date:
    # Strict: only "YYYY-MM-DD" strings (no numbers, no datetimes) become dates.
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("日期无效") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class SystemAuth:
    """Signed by a registered system of the right kind: headers X-Smz-System/-Timestamp/-Nonce/-Signature."""

    openapi_type = "apiKey"
    openapi_security_schema = {
        "type": "apiKey",
        "in": "header",
        "name": signing.HEADER_SIGNATURE,
        "description": "HMAC-SHA256 签名，另需 X-Smz-System、X-Smz-Timestamp、X-Smz-Nonce；"
        "见 docs/interfaces/inbound.md",
    }

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, request: HttpRequest) -> InboundSystem:
        system = authenticate_system(request)
        if system.kind != self.kind:
            _refuse(system.code, ApprovalsErrorCode.INBOUND_WRONG_SYSTEM)
        request.inbound_system = system
        return system


def _refuse(code_of_system: str, code: str) -> NoReturn:
    log.warning("inbound request refused: system=%s code=%s", code_of_system[:32], code)
    raise services.inbound_error(code)


def authenticate_system(request: HttpRequest) -> InboundSystem:
    """Check system, time window, signature and nonce (the device protocol's rules); return the system."""
    h = request.headers
    code = h.get(HEADER_SYSTEM, "")
    ts = h.get(signing.HEADER_TIMESTAMP, "")
    nonce = h.get(signing.HEADER_NONCE, "")
    signature = h.get(signing.HEADER_SIGNATURE, "")
    if not (code and ts and nonce and signature) or not (8 <= len(nonce) <= 64):
        _refuse(code, ApprovalsErrorCode.INBOUND_MISSING_HEADERS)
    system = InboundSystem.objects.filter(code=code, retired_at__isnull=True).first()
    if system is None:
        _refuse(code, ApprovalsErrorCode.INBOUND_UNKNOWN_SYSTEM)
    try:
        skew = abs(int(ts) - time.time())
    except ValueError:
        skew = float("inf")
    if skew > signing.WINDOW_SECONDS:
        _refuse(code, ApprovalsErrorCode.INBOUND_STALE_TIMESTAMP)
    expected = signing.sign(
        system.secret, request.method or "POST", request.get_full_path(), ts, nonce, request.body
    )
    if not hmac.compare_digest(expected, signature.lower()):
        _refuse(code, ApprovalsErrorCode.INBOUND_BAD_SIGNATURE)
    if not services.inbound_nonce_use(system=system, nonce=nonce):
        _refuse(code, ApprovalsErrorCode.INBOUND_REPLAYED_NONCE)
    if random.random() < 0.01:  # noqa: S311 - housekeeping sampling, not security
        services.inbound_nonces_purge()
    return system


inbound_api = NinjaAPI(
    title="市级系统对接接口 v1",
    version="1.0.0",
    description="施工许可系统、市建设工程质量事务中心、市建设工程安全事务中心向平台推送通知。"
    "HMAC-SHA256 签名，报文按 message_id 幂等。错误：`{code, message, detail}`；422 带 `detail.fields`。"
    "详见 docs/interfaces/inbound.md。",
    urls_namespace="inbound",
    docs_url=None,
)


install_envelope(inbound_api, validation_message="报文格式有误")


def _envelope(request: HttpRequest, status: int, code: str, message: str, detail: Any = None):
    return envelope(inbound_api, request, status, code, message, detail)


@inbound_api.exception_handler(AuthenticationError)
def _on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    code = ApprovalsErrorCode.INBOUND_MISSING_HEADERS
    return _envelope(request, 401, code, services.CODES[code][1])


@inbound_api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) only for a body it cannot parse (not JSON): judged by the status, as
    # core.api_errors does, never by the English text of the message.
    if exc.status_code == 400:
        return _envelope(
            request,
            422,
            CoreErrorCode.VALIDATION_ERROR,
            "报文格式有误",
            {"fields": {"_": "请求体不是有效的 JSON（UTF-8）"}},
        )
    return _envelope(request, exc.status_code, CoreErrorCode.HTTP_ERROR, str(exc))


# ---- schemas ------------------------------------------------------------------------------------------


class InboundIn(Schema):
    """Common to every message: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)

    message_id: str = Field(
        ...,
        min_length=1,
        max_length=64,
        description="报文编号：发送方为每份报文生成的唯一编号（1–64字符）。重发同一报文须使用同一编号",
    )
    project_code: str = Field(
        ..., min_length=1, max_length=40, description="项目编码（或施工许可证号）"
    )


class KeyPostIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    post: str = Field(
        ..., min_length=1, max_length=3, description="岗位代码（代码表 key_post，如 P01 项目经理）"
    )
    corp_code: str = Field(
        ..., min_length=18, max_length=18, description="任职单位统一社会信用代码"
    )
    id_number: str = Field(..., min_length=15, max_length=18, description="任职人员居民身份证号码")
    name: str = Field(..., min_length=1, max_length=40, description="任职人员姓名")
    approved_on: IsoDate = Field(..., description="施工许可（变更）批准日期，YYYY-MM-DD")
    permit_ref: str = Field(..., min_length=1, max_length=60, description="施工许可（变更）文号")


class PermitIn(InboundIn):
    permit_no: str = Field(..., min_length=1, max_length=40, description="施工许可证号")
    permit_issued_on: IsoDate = Field(..., description="施工许可发证日期，YYYY-MM-DD")
    planned_start: IsoDate | None = Field(None, description="拟开工日期（有变化时平台按WF1处理）")
    key_posts: list[KeyPostIn] | None = Field(
        None, max_length=50, description="施工许可载明的现场管理岗位人员（WF4）"
    )


class QualityNoticeIn(InboundIn):
    notice_no: str = Field(..., min_length=1, max_length=60, description="告知书编号")
    issued_on: IsoDate = Field(..., description="告知书出具日期：项目经理自该日起停止考勤")
    completion_date: IsoDate = Field(..., description="工程竣工日期")


class SafetyReportIn(InboundIn):
    report_no: str = Field(..., min_length=1, max_length=60, description="评定报告编号")
    issued_on: IsoDate = Field(..., description="评定报告出具日期：其他人员自该日起停止考勤")


class ErrorOut(Schema):
    code: str = Field(..., description="错误码")
    message: str = Field(..., description="中文说明")
    detail: dict = Field(..., description="详情；422 时 fields 为 字段→原因")


class AnswerOut(Schema):
    message_id: str = Field(..., description="报文编号")
    project_code: str = Field(..., description="平台项目编码")
    replayed: bool = Field(..., description="true：该报文此前已处理，本次返回首次处理的应答")


class KeyPostAnswer(Schema):
    post: str
    corp_code: str
    status: str = Field(
        ...,
        description="effective 已生效 / awaiting_face 待窗口采集人脸 / unchanged 未变 / rejected 拒收",
    )
    code: str | None = Field(None, description="拒收原因代码（status=rejected 时）")
    reason: str | None = Field(None, description="拒收原因（中文）")


class PermitOut(AnswerOut):
    permit_no: str
    permit_issued_on: dt.date
    planned_start: dt.date | None
    planned_start_changed: bool
    key_posts: list[KeyPostAnswer]


class QualityNoticeOut(AnswerOut):
    notice_no: str
    pm_attendance_stop_on: dt.date = Field(
        ..., description="项目经理停止考勤日期（以首次通知为准）"
    )
    stop_applied: bool = Field(..., description="false：此前已有停止考勤日期，本次未改变")
    completed_on: dt.date = Field(..., description="竣工日期")


class SafetyReportOut(AnswerOut):
    report_no: str
    staff_attendance_stop_on: dt.date = Field(
        ..., description="其他人员停止考勤日期（以首次通知为准）"
    )
    stop_applied: bool = Field(..., description="false：此前已有停止考勤日期，本次未改变")


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---- endpoints ----------------------------------------------------------------------------------------


@inbound_api.post(
    "/permits",
    auth=SystemAuth(InboundSystem.Kind.PERMIT),
    response={200: PermitOut, **ERRORS},
    url_name="permits",
    summary="施工许可发证/变更（施工许可系统）",
    exclude_none=True,
)
def permits(request: HttpRequest, payload: PermitIn) -> dict[str, Any]:
    return services.permit_receive(
        system=request.inbound_system,
        message_id=payload.message_id,
        project_code=payload.project_code,
        permit_no=payload.permit_no,
        permit_issued_on=payload.permit_issued_on,
        planned_start=payload.planned_start,
        key_posts=[services.KeyPostNamed(**k.model_dump()) for k in payload.key_posts or []],
    )


@inbound_api.post(
    "/quality-notices",
    auth=SystemAuth(InboundSystem.Kind.QUALITY),
    response={200: QualityNoticeOut, **ERRORS},
    url_name="quality_notices",
    summary="工程现场施工质量监督任务完成告知书（市建设工程质量事务中心）",
)
def quality_notices(request: HttpRequest, payload: QualityNoticeIn) -> dict[str, Any]:
    return services.quality_notice_receive(
        system=request.inbound_system,
        message_id=payload.message_id,
        project_code=payload.project_code,
        notice_no=payload.notice_no,
        issued_on=payload.issued_on,
        completion_date=payload.completion_date,
    )


@inbound_api.post(
    "/safety-reports",
    auth=SystemAuth(InboundSystem.Kind.SAFETY),
    response={200: SafetyReportOut, **ERRORS},
    url_name="safety_reports",
    summary="安全生产标准化评定报告（市建设工程安全事务中心）",
)
def safety_reports(request: HttpRequest, payload: SafetyReportIn) -> dict[str, Any]:
    return services.safety_report_receive(
        system=request.inbound_system,
        message_id=payload.message_id,
        project_code=payload.project_code,
        report_no=payload.report_no,
        issued_on=payload.issued_on,
    )
