"""A fake provincial / national platform gateway (附件8 protocol), for the upward push's tests and for trying the push
by hand (`manage.py docking_fake_upstream --port 8765 --appid … --secret …`). No Django: its state lives in memory.

It behaves like the real one as far as smz's client can tell: the envelope checked in the national order (fields,
app, sign, timestamp within 5 minutes, nonce unused), `{code, message, data}` answers, Add methods answered with a
`requestSerialCode` and their outcome read through `AsyncHandleResult.Query` (status 0 pending for the first
`pending_polls` queries, then 10 failed with each bad record's index and reason, or 20 done), `teamSysNo` issued by
`Team.Add`, the order rules and the national rejection texts ("[teamSysNo]值超出范围或无效",
"…不允许上传该工人的工资发放信息", "[date]不能大于当天", "[payMonth]不能大于今天").

Like the real platform it stores each record once per identity (a project's team by corpCode + teamName, a worker
by project + ID number, a pass by project + ID number + second + direction …): a record sent again is accepted and
changes nothing. `stored` counts what it stored per identity, `received` what it was sent, so a test can prove
that nothing was stored twice and nothing was lost.

It can be told to fail: `fail_next(n, "500")` answers HTTP 500 to the next n calls, `"timeout"` raises
FakeTimeout (the transport's timeout) without processing, `"lost_answer"` processes the call and then raises
(the request arrived, the answer never came back).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from smz.docking import protocol

WINDOW = dt.timedelta(minutes=5)
CORP_TYPES = {f"{i:03d}" for i in range(1, 13)}
WORK_ROLES = {10, 20}


class FakeTimeout(TimeoutError):
    """The call timed out (raised by the in-process transport; the socket server just never answers)."""


@dataclass
class _Request:
    serial: str
    method: str
    total: int
    failures: list[dict[str, Any]]
    issued: dict[str, Any]
    polls_left: int


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class FakeUpstream:
    appid: str
    secret: str
    now: Callable[[], dt.datetime] = _utcnow
    pending_polls: int = 1
    # Identity → how many times it was stored (must stay 1) / sent (≥ 1 after a retry).
    stored: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    received: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    calls: list[str] = field(default_factory=list)  # methods called, in order
    _failures: list[str] = field(default_factory=list)
    _nonces: set[str] = field(default_factory=set)
    _requests: dict[str, _Request] = field(default_factory=dict)
    _participants: set[tuple[str, str]] = field(default_factory=set)
    _teams: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _team_projects: dict[int, str] = field(default_factory=dict)
    _workers: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: int = 0

    # ---- test controls
    def fail_next(self, n: int, mode: str = "500") -> None:
        """The next n calls fail: "500" (HTTP 500), "timeout" (never processed), "lost_answer" (processed, then
        the answer is lost)."""
        assert mode in {"500", "timeout", "lost_answer"}
        self._failures.extend([mode] * n)

    def count(self, kind: str) -> int:
        """How many distinct records of a kind are stored."""
        return sum(1 for key in self.stored if key[0] == kind)

    def stored_twice(self) -> list[tuple[Any, ...]]:
        return [key for key, n in self.stored.items() if n > 1]

    def transport(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        """An upward_client transport calling this fake in-process (FakeTimeout is a TimeoutError)."""
        status, body = self.handle(form)
        return status, json.dumps(body, ensure_ascii=False)

    # ---- the protocol
    def handle(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer one posted form: (HTTP status, body). Raises FakeTimeout for an injected timeout / lost answer."""
        with self._lock:
            mode = self._failures.pop(0) if self._failures else ""
            if mode == "timeout":
                raise FakeTimeout("timeout")
            if mode == "500":
                return 500, {"code": 5000, "message": "服务器内部错误，请稍后重试", "data": None}
            answer = self._handle(form)
            if mode == "lost_answer":
                raise FakeTimeout("answer lost")
            return answer

    def _refuse(self, code: int, message: str, status: int = 400) -> tuple[int, dict[str, Any]]:
        return status, {"code": code, "message": message, "data": None}

    def _handle(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        for name in protocol.ENVELOPE_FIELDS:
            if not isinstance(form.get(name), str) or form[name] == "":
                return self._refuse(1001, f"缺少必填参数：{name}")
        if form["format"] != protocol.FORMAT or form["version"] != protocol.VERSION:
            return self._refuse(1002, "format 或 version 无效")
        if form["appid"] != self.appid:
            return self._refuse(1004, "appid 不存在", 401)
        if not protocol.sign_matches(form, self.secret):
            return self._refuse(1006, "签名错误", 401)
        moment = protocol.parse_timestamp(form["timestamp"])
        now = self.now()
        if moment is None or abs(moment - now) > WINDOW:
            return self._refuse(1007, "timestamp 与服务器时间相差超过5分钟", 401)
        if form["nonce"] in self._nonces:
            return self._refuse(1008, "nonce 已使用，请求被视为重放", 409)
        self._nonces.add(form["nonce"])
        try:
            data = json.loads(form["data"])
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return self._refuse(1010, "data 不是有效的 JSON 对象")
        data, bad = protocol.decrypt_sensitive(data, self.secret)
        if bad:
            return self._refuse(1011, "加密字段无法解密")
        method = form["method"]
        self.calls.append(method)
        if method == "AsyncHandleResult.Query":
            return self._async_result(data)
        if method == "Team.Query":
            return self._team_query(data)
        handler = _ADD_METHODS.get(method)
        if handler is None:
            return self._refuse(1009, f"method 不存在：{method[:40]}")
        project = data.get("projectCode")
        if not isinstance(project, str) or not project:
            return self._refuse(1016, "[projectCode]不能为空")
        failures: list[dict[str, Any]] = []
        issued: dict[str, Any] = {}
        total = handler(self, project, data, failures, issued, now.astimezone(protocol.SHANGHAI))
        if total > 500:
            return self._refuse(1013, "单次记录数超过上限", 413)
        self._seq += 1
        stamp = protocol.timestamp_of(now)
        serial = f"{method.lower().replace('.', '-')}-{stamp}-{self._seq:06d}"
        self._requests[serial] = _Request(
            serial, method, total, failures, issued, self.pending_polls
        )
        return 200, {"code": 0, "message": "成功", "data": {"requestSerialCode": serial}}

    def _async_result(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = self._requests.get(str(data.get("requestSerialCode", "")))
        if request is None:
            return self._refuse(1014, "请求流水号不存在", 404)
        if request.polls_left > 0:
            request.polls_left -= 1
            status, name = 0, "待处理"
        elif request.failures:
            status, name = 10, "处理失败"
        else:
            status, name = 20, "处理成功"
        body: dict[str, Any] = {
            "requestSerialCode": request.serial,
            "method": request.method,
            "status": status,
            "statusName": name,
        }
        if status:
            body |= {
                "total": request.total,
                "successCount": request.total - len(request.failures),
                "failCount": len(request.failures),
                "result": request.failures,
                **request.issued,
            }
        return 200, {"code": 0, "message": "成功", "data": body}

    def _team_query(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        project, corp = data.get("projectCode"), data.get("corpCode")
        rows = [
            {"teamSysNo": no, "teamName": name, "corpCode": c}
            for (p, c, name), no in sorted(self._teams.items(), key=lambda kv: kv[1])
            if p == project and (not corp or c == corp) and self._team_projects.get(no) == p
        ]
        body = {"pageIndex": 0, "pageSize": 100, "total": len(rows), "rows": rows[:100]}
        return 200, {"code": 0, "message": "成功", "data": body}

    # ---- the store, one identity per record
    def _store(self, key: tuple[Any, ...]) -> None:
        self.received[key] += 1
        if self.stored[key] == 0:
            self.stored[key] = 1

    def _team_ok(self, project: str, data: dict[str, Any]) -> bool:
        no = data.get("teamSysNo")
        return (
            isinstance(no, int)
            and not isinstance(no, bool)
            and (self._team_projects.get(no) == project)
        )


def _fail(failures: list[dict[str, Any]], index: int, message: str, field_: str = "") -> None:
    failures.append(
        {"index": index, "code": "upstream.refused", "message": message, "field": field_}
    )


def _list(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items = data.get(name)
    return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _participant(
    fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now
) -> int:
    corp, kind = data.get("corpCode"), data.get("corpType")
    if not isinstance(corp, str) or len(corp) != 18:
        _fail(failures, 0, "[corpCode]应为18位统一社会信用代码", "corpCode")
    elif kind not in CORP_TYPES:
        _fail(failures, 0, "[corpType]值超出范围或无效，请参见代码表", "corpType")
    else:
        fake._participants.add((project, corp))
        fake._store(("participant", project, corp, kind))
    return 1


def _team(fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now) -> int:
    corp, name = data.get("corpCode"), data.get("teamName")
    if (project, corp) not in fake._participants:
        _fail(failures, 0, "[corpCode]该企业不是本项目的参建单位，请先上传参建单位信息", "corpCode")
    elif not isinstance(name, str) or not name:
        _fail(failures, 0, "[teamName]不能为空", "teamName")
    else:
        key = (project, corp, name)
        if key not in fake._teams:
            fake._teams[key] = 10000 + len(fake._teams) + 1
            fake._team_projects[fake._teams[key]] = project
        issued["teamSysNo"] = fake._teams[key]
        fake._store(("team", *key))
    return 1


def _with_team(per_record: Callable[..., None], list_name: str):
    def handler(
        fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now
    ) -> int:
        items = _list(data, list_name)
        if not fake._team_ok(project, data):
            for i in range(len(items)):
                _fail(failures, i, "[teamSysNo]值超出范围或无效", "teamSysNo")
            return len(items)
        for i, item in enumerate(items):
            per_record(fake, project, data, item, i, failures, now)
        return len(items)

    return handler


def _worker(fake, project, data, item, i, failures, now) -> None:
    number = item.get("idCardNumber")
    if not isinstance(number, str) or not number:
        _fail(failures, i, "[idCardNumber]不能为空", "idCardNumber")
    elif isinstance(item.get("workRole"), bool) or item.get("workRole") not in WORK_ROLES:
        _fail(failures, i, "[workRole]值超出范围或无效，请参见代码表", "workRole")
    else:
        fake._workers.add((project, number))
        fake._store(("worker", project, number))


def _known_worker(fake, project, item, i, failures, what: str) -> str | None:
    number = item.get("idCardNumber")
    if not isinstance(number, str) or (project, number) not in fake._workers:
        # The national text names the ID number; the fake, like smz's logs, names the record instead.
        _fail(
            failures,
            i,
            f"项目中不存在第{i + 1}条记录的工人信息,不允许上传该工人的{what}",
            "idCardNumber",
        )
        return None
    return number


def _entry_exit(fake, project, data, item, i, failures, now) -> None:
    number = _known_worker(fake, project, item, i, failures, "进退场信息")
    day = _date(item.get("date"))
    if number is None:
        return
    if day is None or day > now.date():
        _fail(failures, i, "[date]不能大于当天", "date")
        return
    fake._store(("entry_exit", project, number, str(day), item.get("type")))


def _attendance(fake, project, data, item, i, failures, now) -> None:
    number = _known_worker(fake, project, item, i, failures, "考勤信息")
    if number is None:
        return
    text = str(item.get("date", ""))
    try:
        moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=protocol.SHANGHAI)
    except ValueError:
        _fail(failures, i, "[date]时间格式应为 yyyy-MM-dd HH:mm:ss", "date")
        return
    if moment.date() > now.date() or moment > now + WINDOW:
        _fail(failures, i, "[date]不能大于当天", "date")
        return
    if item.get("direction") not in {"01", "02"}:
        _fail(failures, i, "[direction]值超出范围或无效", "direction")
        return
    fake._store(("attendance", project, number, text, item["direction"]))


def _contracts(
    fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now
) -> int:
    items = _list(data, "contractList")
    for i, item in enumerate(items):
        number = _known_worker(fake, project, item, i, failures, "劳动合同信息")
        if number is not None:
            fake._store(("contract", project, number, item.get("corpCode"), item.get("startDate")))
    return len(items)


def _payroll(fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now) -> int:
    items = _list(data, "detailList")
    month = str(data.get("payMonth", ""))
    if not fake._team_ok(project, data):
        for i in range(len(items)):
            _fail(failures, i, "[teamSysNo]值超出范围或无效", "teamSysNo")
        return len(items)
    if month > now.strftime("%Y-%m"):
        for i in range(len(items)):
            _fail(failures, i, "[payMonth]不能大于今天", "payMonth")
        return len(items)
    for i, item in enumerate(items):
        number = item.get("idCardNumber")
        if not isinstance(number, str) or (project, number) not in fake._workers:
            _fail(
                failures,
                i,
                f"项目中不存在第{i + 1}条记录的工人信息,不允许上传该工人的工资发放信息",
                "idCardNumber",
            )
            continue
        balance = _date(item.get("balanceDate"))
        if balance is not None and balance > now.date():
            _fail(failures, i, "[balanceDate]发放日期不能大于今天", "balanceDate")
            continue
        fake._store(("payroll", project, number, month, data.get("corpCode")))
    return len(items)


def _training(fake: FakeUpstream, project: str, data: dict[str, Any], failures, issued, now) -> int:
    day = _date(data.get("trainingDate"))
    if day is None or day > now.date():
        _fail(failures, 0, "[trainingDate]不能大于当天", "trainingDate")
        return 1
    for item in _list(data, "workerList"):
        number = item.get("idCardNumber")
        fake._store(("training", project, number, str(day), data.get("trainingName")))
    return 1


_ADD_METHODS: dict[str, Callable[..., int]] = {
    "ProjectSubContractor.Add": _participant,
    "Team.Add": _team,
    "ProjectWorker.Add": _with_team(_worker, "workerList"),
    "WorkerContract.Add": _contracts,
    "WorkerEntryExit.Add": _with_team(_entry_exit, "workerList"),
    "WorkerAttendance.Add": _with_team(_attendance, "dataList"),
    "Payroll.Add": _payroll,
    "ProjectTraining.Add": _training,
}


# ---- serving it over HTTP (the management command, and the socket test)
def make_server(
    fake: FakeUpstream, host: str = "127.0.0.1", port: int = 8765
) -> ThreadingHTTPServer:
    """An HTTP server answering POSTs on any path with the fake gateway. An injected timeout closes the
    connection without an answer (what the client sees of a gateway that died mid-call)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            try:
                status, body = fake.handle(form)
            except FakeTimeout:
                self.close_connection = True
                return
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the form carries encrypted personal numbers: log nothing of it

    return ThreadingHTTPServer((host, port), Handler)
