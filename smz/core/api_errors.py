"""The one error envelope on every django-ninja surface: `{code, message, detail}`; 422 with detail.fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from smz.core.errors import DomainError


def envelope(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, detail: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "detail": detail or {}}, status=status
    )


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """Field path → reason, without pydantic's location prefixes."""
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        message = str(err.get("msg", "格式错误")).removeprefix("Value error, ")
        fields[".".join(loc) or "_"] = message
    return fields


def install_envelope(api: NinjaAPI, *, validation_message: str) -> None:
    """Render DomainError and schema errors of `api` in the envelope."""

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return envelope(api, request, exc.status, exc.code, exc.message, exc.detail)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(exc)
        return envelope(
            api, request, 422, "validation_error", validation_message, {"fields": fields}
        )
