"""One error shape for the whole platform: {"code", "message" (zh-CN), "detail"}."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class CoreErrorCode(StrEnum):
    """The envelope's own codes, shared by every surface (docs/interfaces/api.md): no app prefix."""

    VALIDATION_ERROR = "validation_error"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    BAD_REQUEST = "bad_request"
    HTTP_ERROR = "http_error"
    PII_FORBIDDEN = "pii.forbidden"
    PII_UNKNOWN_FIELD = "pii.unknown_field"
    PII_ID_IN_URL = "pii.id_in_url"
    REQUEST_TOO_LARGE = "request.too_large"
    UPLOAD_CORRUPT = "upload.corrupt"
    UPLOAD_EMPTY = "upload.empty"
    UPLOAD_IMAGE_TOO_LARGE = "upload.image_too_large"
    UPLOAD_PDF_ACTIVE = "upload.pdf_active"
    UPLOAD_TOO_LARGE = "upload.too_large"
    UPLOAD_TYPE = "upload.type"
    UPLOAD_XLSX_TOO_LARGE = "upload.xlsx_too_large"
    UPLOAD_ZIP_BOMB = "upload.zip_bomb"


class DomainError(Exception):
    """A business rule refused the request. `code` is machine-readable, `message` is for people."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        detail: dict[str, Any] | None = None,
        *,
        status: int | None = None,
    ):
        super().__init__(message)
        # A plain string from here on (members are StrEnums): logs and reprs show "labor.x", not the member.
        self.code = str(code)
        self.message = message
        self.detail = detail or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}

    def form_errors(self) -> dict[str, str]:
        """The refusal as a page's form shows it: the per-field messages, else one for the whole form."""
        fields: dict[str, str] = self.detail.get("fields", {})
        return fields or {"form": self.message}


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "对象"):
        super().__init__(CoreErrorCode.NOT_FOUND, f"{what}不存在或无权访问")


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "无权执行此操作", code: str = CoreErrorCode.FORBIDDEN):
        super().__init__(code, message)


def field_errors(errors: dict[str, str], message: str = "提交的数据有误") -> DomainError:
    return DomainError(CoreErrorCode.VALIDATION_ERROR, message, {"fields": errors}, status=422)
