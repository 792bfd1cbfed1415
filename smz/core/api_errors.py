"""The one error envelope on every django-ninja surface: `{code, message, detail}`; 422 with detail.fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from smz.core.errors import CoreErrorCode, DomainError


class ErrorOut(Schema):
    """The error envelope: a machine code, a message in Chinese, details (422: `detail.fields`)."""

    code: str
    message: str
    detail: dict[str, Any]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """OpenAPI responses for the error statuses an operation can answer: `response={200: X, **errors(404)}`."""
    return dict.fromkeys(statuses, ErrorOut)


def envelope(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, detail: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "detail": detail or {}}, status=status
    )


# pydantic error type → reason in Chinese ({...} filled from the error's ctx).
_REASONS = {
    "missing": "必填",
    "string_type": "应为字符串",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值超出范围",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD）",
    "greater_than_equal": "不能小于{ge}",
    "greater_than": "应大于{gt}",
    "less_than_equal": "不能大于{le}",
    "less_than": "应小于{lt}",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "extra_forbidden": "不支持的字段",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "json_invalid": "JSON 格式错误",
    "decimal_parsing": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
}


def _reason(err: dict[str, Any]) -> str:
    template = _REASONS.get(str(err.get("type", "")))
    if template is not None:
        try:
            return template.format(**(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            return template
    return str(err.get("msg", "格式错误")).removeprefix("Value error, ")


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """Field path → reason in Chinese, without pydantic's location prefixes."""
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        fields.setdefault(".".join(loc) or "_", _reason(err))
    return fields


def install_envelope(api: NinjaAPI, *, validation_message: str) -> None:
    """Render DomainError, schema errors and ninja's own HttpErrors of `api` in the envelope."""

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return envelope(api, request, exc.status, exc.code, exc.message, exc.detail)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(exc)
        return envelope(
            api,
            request,
            422,
            CoreErrorCode.VALIDATION_ERROR,
            validation_message,
            {"fields": fields},
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja's "Cannot parse request body": not JSON, or a form that cannot be read.
            return envelope(
                api, request, 400, CoreErrorCode.BAD_REQUEST, "请求体无法解析，应为 JSON 对象"
            )
        return envelope(api, request, exc.status_code, CoreErrorCode.HTTP_ERROR, str(exc))
