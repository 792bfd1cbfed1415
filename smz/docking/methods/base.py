"""The gateway's methods (附件8 §方法): one module per national object, each registering its methods here.

Handlers run inside one transaction per request: a handler wraps each record in its own savepoint
(`transaction.atomic()`), so one refused record never undoes the others.

A query method answers at once: `handler(call)` returns the answer's `data` (plaintext; the gateway encrypts the
sensitive fields). An Add/Update method is asynchronous: the gateway stores the request and answers its
`requestSerialCode`; the background worker later runs `handler(call)`, which returns a `MethodResult` (what was
accepted, each refused record with its code and Chinese reason, what smz issued, e.g. `teamSysNo`). Handlers write
only through the services the pages, imports and devices use, acting as the app's service account (`call.actor`).

Handlers must be idempotent: a request processed twice (a retry after a crash) stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smz.docking.errors import DockingErrorCode

MAX_RECORDS = 500


@dataclass
class Call:
    app: Any  # DockingApp
    actor: Any  # the app's service account
    project: Any  # registry.Project, in the app's scope
    data: dict[str, Any]  # sensitive fields already decrypted
    now: dt.datetime
    serial: str = ""


@dataclass
class RecordFailure:
    index: int  # position in the method's list (0 for a single-record method)
    code: str
    message: str  # Chinese, for people; never a personal number
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"index": self.index, "code": self.code, "message": self.message}
        if self.field:
            d["field"] = self.field
        return d


@dataclass
class MethodResult:
    accepted: int = 0
    failures: list[RecordFailure] = field(default_factory=list)
    issued: dict[str, Any] = field(default_factory=dict)

    def refuse(self, index: int, code: str, message: str, field: str = "") -> None:
        self.failures.append(RecordFailure(index, str(code), message, field))


class RequestRefused(Exception):
    """The whole request is refused before any record (e.g. a dataList that is not a list)."""

    def __init__(self, message: str, field: str = "", code: str = DockingErrorCode.RECORD_INVALID):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = str(code)


@dataclass(frozen=True)
class Method:
    name: str
    handler: Callable[[Call], Any]
    asynchronous: bool
    receipt: str = ""  # DockingReceipt.Kind written after an Add/Update
    list_field: str = ""  # the data's record list, counted against MAX_RECORDS
    needs_project: bool = True


METHODS: dict[str, Method] = {}


def method(
    name: str,
    *,
    asynchronous: bool,
    receipt: str = "",
    list_field: str = "",
    needs_project: bool = True,
) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
        if name in METHODS:
            raise RuntimeError(f"method {name} registered twice")
        METHODS[name] = Method(name, handler, asynchronous, receipt, list_field, needs_project)
        return handler

    return register
