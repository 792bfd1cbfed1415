"""One error shape for the whole platform: {"code", "message" (zh-CN), "detail"}."""

from __future__ import annotations

from typing import Any


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
        self.code = code
        self.message = message
        self.detail = detail or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "对象"):
        super().__init__("not_found", f"{what}不存在或无权访问")


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "无权执行此操作", code: str = "forbidden"):
        super().__init__(code, message)


def field_errors(errors: dict[str, str], message: str = "提交的数据有误") -> DomainError:
    return DomainError("validation_error", message, {"fields": errors}, status=422)
