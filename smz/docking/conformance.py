"""一致性测试工具 (附件8 conformance kit): docks a project end to end against an smz gateway (the sandbox) the way
a vendor's real-name system would, and checks every answer.

    python -m smz.docking.conformance --url https://…/docking/v1/gateway --appid … --secret … --project …

It needs Python ≥ 3.12 and `cryptography` only (no Django): it speaks HTTP with urllib, and signs and encrypts
with `smz.docking.protocol` (pure functions). A vendor can run it from a copy of `smz/docking/conformance.py`,
`conformance_face.jpg`, `protocol.py`, `errors.py` and `smz/labor/errors.py` (the code enums). Every check prints
one line; the last line is `N passed, N failed`; the exit code is 1 when anything failed.

Checks: the envelope's refusals (bad sign → 1006, stale timestamp → 1007, replayed nonce → 1008, unknown method →
1009, unknown app → 1004), then the docking of a project in the national order — Project.Query,
ProjectSubContractor.Add, Team.Add (polling AsyncHandleResult.Query for its teamSysNo), ProjectWorker.Add,
WorkerContract.Add, ProjectTraining.Add, WorkerEntryExit.Add, WorkerAttendance.Add and its resend (nothing
stored twice), Payroll.Add, each with its Query — and the order rule and scope refusals. Use a sandbox app:
the kit writes a labor subcontractor, a team and two synthetic workers (checksum-valid ID numbers that belong to
nobody) into the project it is given.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from smz.docking import protocol
from smz.docking.errors import GatewayCode
from smz.labor.errors import LaborErrorCode

# A public-domain face photo (NASA's portrait of Eileen Collins, as in smz/attendance/fixtures), 640×480, 32 KB:
# ProjectWorker.Add's headImage (jpg/png ≤ 50 KB) becomes the worker's site face (short side ≥ 480 px, one face),
# which the entry checks ask for.
FACE = Path(__file__).with_name("conformance_face.jpg")

Send = Callable[[dict[str, str]], tuple[int, bytes]]

# ---- synthetic identifiers (the algorithms of smz/registry/synthetic.py and smz/core/validators.py) -------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def synthetic_id_number(*, birth: dt.date, seq: int, male: bool, region: str = "442000") -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit (odd order code = male)."""
    order = seq % 500 * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


def synthetic_uscc(*, seq: int, region: str = "442000", kind: str = "91") -> str:
    """A 统一社会信用代码 with a valid GB 32100 check character."""
    body = ""
    n = seq + 31**5
    for _ in range(9):
        n, r = divmod(n, 31)
        body = USCC_ALPHABET[r] + body
    first17 = f"{kind}{region}{body}"
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


# ---- talking to the gateway ---------------------------------------------------------------------------


def http_sender(url: str, timeout: float = 30.0) -> Send:
    """POST the form to `url` with urllib; answers (HTTP status, body) whatever the status."""

    def send(fields: dict[str, str]) -> tuple[int, bytes]:
        body = urlencode(fields).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the vendor's own gateway URL
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return send


@dataclass
class Reply:
    status: int
    code: int | None
    message: str
    data: Any

    def __str__(self) -> str:
        return f"HTTP {self.status} code={self.code} message={self.message}"


class Gateway:
    """One app's calls: signs, encrypts the sensitive fields, decrypts the answer's."""

    def __init__(self, send: Send, appid: str, secret: str, *, clock: Callable[[], dt.datetime]):
        self.send, self.appid, self.secret, self.clock = send, appid, secret, clock

    def call(
        self,
        method: str,
        data: Any,
        *,
        nonce: str | None = None,
        moment: dt.datetime | None = None,
        tamper: dict[str, str] | None = None,
        appid: str | None = None,
    ) -> Reply:
        fields = protocol.envelope(
            appid or self.appid,
            self.secret,
            method,
            data,
            moment=moment or self.clock(),
            nonce=nonce,
        )
        fields |= tamper or {}
        status, raw = self.send(fields)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Reply(status, None, f"应答不是 JSON：{raw[:80]!r}", None)
        if not isinstance(body, dict):
            return Reply(status, None, "应答不是 JSON 对象", None)
        payload = body.get("data")
        if payload is not None:
            payload, _ = protocol.decrypt_sensitive(payload, self.secret)
        code = body.get("code")
        return Reply(
            status, code if isinstance(code, int) else None, str(body.get("message")), payload
        )

    def result(self, serial: str, *, wait: float, interval: float = 0.5) -> dict[str, Any]:
        """AsyncHandleResult.Query until the request is no longer pending (status 0), or `wait` seconds."""
        deadline = time.monotonic() + wait
        while True:
            reply = self.call("AsyncHandleResult.Query", {"requestSerialCode": serial})
            if reply.code != GatewayCode.OK or not isinstance(reply.data, dict):
                raise CheckFailed(f"AsyncHandleResult.Query：{reply}")
            if reply.data.get("status") != 0 or time.monotonic() >= deadline:
                return reply.data
            time.sleep(interval)


class CheckFailed(Exception):
    pass


# ---- the kit ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Kit:
    gateway: Gateway
    project: str
    wait: float = 60.0
    out: TextIO = sys.stdout
    outcomes: list[Outcome] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    # -- bookkeeping

    def check(
        self, name: str, body: Callable[[], str | None], *, needs: tuple[str, ...] = ()
    ) -> bool:
        missing = [n for n in needs if n not in self.state]
        if missing:
            outcome = Outcome(name, False, f"前置步骤未通过（缺少 {'、'.join(missing)}）")
        else:
            try:
                detail = body() or ""
                outcome = Outcome(name, True, detail)
            except CheckFailed as exc:
                outcome = Outcome(name, False, str(exc))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                outcome = Outcome(name, False, f"{type(exc).__name__}: {exc}")
        self.outcomes.append(outcome)
        mark = "通过" if outcome.ok else "失败"
        line = f"[{mark}] {name}" + (f" — {outcome.detail}" if outcome.detail else "")
        print(line, file=self.out, flush=True)
        return outcome.ok

    @property
    def passed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    # -- helpers

    def today(self) -> dt.date:
        return self.gateway.clock().astimezone(protocol.SHANGHAI).date()

    def expect_code(self, reply: Reply, code: int, status: int | None = None) -> str:
        if reply.code != code or (status is not None and reply.status != status):
            want = f"code={code}" + (f" HTTP {status}" if status is not None else "")
            raise CheckFailed(f"应为 {want}，实际 {reply}")
        return str(reply)

    def accepted(
        self, method: str, data: dict[str, Any], *, awaiting: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """An Add/Update: accepted with a requestSerialCode, then processed with status 20 — or 10 when every
        refused record has one of the `awaiting` codes (a step that waits on people, not on the data)."""
        reply = self.gateway.call(method, data)
        if reply.code != GatewayCode.OK or not isinstance(reply.data, dict):
            raise CheckFailed(f"{method}：{reply}")
        serial = reply.data.get("requestSerialCode")
        if not isinstance(serial, str) or not serial:
            raise CheckFailed(f"{method}：应答 data 缺少 requestSerialCode：{reply.data!r}")
        result = self.gateway.result(serial, wait=self.wait)
        failures = result.get("result") or []
        waiting = (
            result.get("status") == 10
            and bool(failures)
            and all(isinstance(f, dict) and f.get("code") in awaiting for f in failures)
        )
        if result.get("status") != 20 and not waiting:
            raise CheckFailed(
                f"{method} 请求 {serial} 处理状态 {result.get('status')}（应为20）："
                f"{json.dumps(result.get('result'), ensure_ascii=False)[:300]}"
            )
        result["requestSerialCode"] = serial
        return result

    def query(self, method: str, data: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.gateway.call(method, {"projectCode": self.project, "pageIndex": 0} | data)
        if reply.code != GatewayCode.OK or not isinstance(reply.data, dict):
            raise CheckFailed(f"{method}：{reply}")
        rows = reply.data.get("rows")
        if not isinstance(rows, list):
            raise CheckFailed(f"{method}：应答 data 缺少 rows 数组")
        return rows

    # -- the envelope

    def run_envelope(self) -> None:
        g = self.gateway

        def good() -> str:
            reply = g.call("Project.Query", {"projectCode": self.project})
            self.expect_code(reply, GatewayCode.OK, 200)
            rows = reply.data.get("rows", []) if isinstance(reply.data, dict) else []
            if not any(r.get("projectCode") == self.project for r in rows):
                raise CheckFailed(f"Project.Query 未返回项目 {self.project}（应用的授权范围？）")
            row = next(r for r in rows if r.get("projectCode") == self.project)
            self.state["project"] = row
            return f"{row.get('name')}，总承包单位 {row.get('contractorCorpName')}"

        self.check("签名正确的 Project.Query 应答 code 0 并返回本项目", good)
        self.check(
            "签名错误 → 1006",
            lambda: self.expect_code(
                g.call("Project.Query", {}, tamper={"sign": "0" * 64}), GatewayCode.BAD_SIGN, 401
            ),
        )
        self.check(
            "timestamp 与服务器相差超过5分钟 → 1007",
            lambda: self.expect_code(
                g.call("Project.Query", {}, moment=g.clock() - dt.timedelta(minutes=6)),
                GatewayCode.STALE_TIMESTAMP,
                401,
            ),
        )

        def replay() -> str:
            nonce = protocol.new_nonce()
            self.expect_code(g.call("Project.Query", {}, nonce=nonce), GatewayCode.OK)
            return self.expect_code(
                g.call("Project.Query", {}, nonce=nonce), GatewayCode.NONCE_REUSED, 409
            )

        self.check("同一 nonce 再次使用（重放）→ 1008", replay)
        self.check(
            "未知方法 → 1009",
            lambda: self.expect_code(g.call("Worker.Fly", {}), GatewayCode.UNKNOWN_METHOD, 400),
        )
        self.check(
            "未知 appid → 1004",
            lambda: self.expect_code(
                g.call("Project.Query", {}, appid="0" * 17), GatewayCode.UNKNOWN_APP, 401
            ),
        )
        self.check(
            "不存在的请求流水号 → 非0 code",
            lambda: self._not_found(),
        )

    def _not_found(self) -> str:
        reply = self.gateway.call(
            "AsyncHandleResult.Query", {"requestSerialCode": "no-such-serial"}
        )
        if reply.code in (None, GatewayCode.OK):
            raise CheckFailed(f"应拒绝，实际 {reply}")
        return str(reply)

    # -- the docking, in the national order

    def run_docking(self) -> None:
        tag = secrets.randbelow(10**6)
        today = self.today()
        yesterday = today - dt.timedelta(days=1)
        corp_code = synthetic_uscc(seq=100_000 + tag)
        corp_name = f"一致性测试劳务有限公司{tag:06d}"
        people = [
            (
                f"测试工{tag % 1000:03d}甲",
                synthetic_id_number(birth=dt.date(1988, 3, 9), seq=tag, male=True),
            ),
            (
                f"测试工{tag % 1000:03d}乙",
                synthetic_id_number(birth=dt.date(1992, 7, 21), seq=tag + 1, male=False),
            ),
        ]
        leader_name, leader_id = people[0]
        face = base64.b64encode(FACE.read_bytes()).decode("ascii") if FACE.exists() else ""
        p = self.project

        def participant() -> str:
            self.accepted(
                "ProjectSubContractor.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "corpType": "006",
                    "entryTime": yesterday.isoformat(),
                    "pmName": leader_name,
                    "pmIdcardType": "01",
                    "pmIdcardNumber": leader_id,
                    "pmPhone": "13800138000",
                },
            )
            self.state["participant"] = corp_code
            return corp_name

        self.check("ProjectSubContractor.Add 劳务分包 → 处理成功(20)", participant)
        self.check(
            "ProjectSubContractor.Query 含该参建单位",
            lambda: self._has(
                self.query("ProjectSubContractor.Query", {"pageSize": 100}), "corpCode", corp_code
            ),
            needs=("participant",),
        )

        def team() -> str:
            result = self.accepted(
                "Team.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "teamName": f"钢筋班{tag:06d}",
                    "teamLeaderName": leader_name,
                    "teamLeaderPhone": "13800138000",
                    "teamLeaderIdcardType": "01",
                    "teamLeaderIdNumber": leader_id,
                    "responsiblePersonName": leader_name,
                    "responsiblePersonPhone": "13800138000",
                    "responsiblePersonIdcardType": "01",
                    "responsiblePersonIdNumber": leader_id,
                    "entryTime": yesterday.isoformat(),
                },
            )
            number = result.get("teamSysNo")
            if isinstance(number, bool) or not isinstance(number, int):
                raise CheckFailed(f"处理结果缺少整数 teamSysNo：{result!r}")
            self.state["team"] = number
            return f"teamSysNo={number}"

        self.check(
            "Team.Add → AsyncHandleResult.Query 给出 teamSysNo", team, needs=("participant",)
        )
        self.check(
            "Team.Query 含该班组",
            lambda: self._has(
                self.query("Team.Query", {"pageSize": 100}), "teamSysNo", self.state["team"]
            ),
            needs=("team",),
        )

        def workers() -> str:
            rows = []
            for i, (name, number) in enumerate(people):
                row: dict[str, Any] = {
                    "workerName": name,
                    "isTeamLeader": 1 if i == 0 else 0,
                    "idCardType": "01",
                    "idCardNumber": number,
                    "workType": "020",
                    "workRole": 20,
                    "nation": "汉",
                    "cellPhone": f"1380013{tag % 10000:04d}"[:10] + str(i),
                    "payRollBankCardNumber": f"62220202001122{i:05d}",
                    "payRollBankName": "中国工商银行中山分行",
                    "payRollTopBankCode": "102",
                    "hasBuyInsurance": 1,
                }
                if face:
                    row["headImage"] = face
                rows.append(row)
            result = self.accepted(
                "ProjectWorker.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "teamSysNo": self.state["team"],
                    "teamName": f"钢筋班{tag:06d}",
                    "workerList": rows,
                },
            )
            self.state["workers"] = True
            warnings = [w.get("message", "") for w in result.get("warnings", []) or []]
            return f"{len(rows)} 人" + (f"；提示：{'；'.join(warnings)}" if warnings else "")

        self.check(
            "ProjectWorker.Add 两名工人（含班组长、头像）→ 处理成功", workers, needs=("team",)
        )

        def worker_query() -> str:
            rows = self.query(
                "ProjectWorker.Query", {"pageSize": 100, "teamSysNo": self.state["team"]}
            )
            got = {r.get("idCardNumber") for r in rows}
            if not all(number in got for _, number in people):
                raise CheckFailed(
                    "ProjectWorker.Query 未返回两名工人（或 idCardNumber 未按 AES 加密返回）"
                )
            return f"{len(rows)} 行，idCardNumber 解密一致"

        self.check("ProjectWorker.Query 返回工人，身份证号加密", worker_query, needs=("workers",))

        def contracts() -> str:
            self.accepted(
                "WorkerContract.Add",
                {
                    "projectCode": p,
                    "contractList": [
                        {
                            "corpCode": corp_code,
                            "corpName": corp_name,
                            "idCardType": "01",
                            "idCardNumber": number,
                            "contractPeriodType": 0,
                            "startDate": yesterday.isoformat(),
                            "endDate": (today + dt.timedelta(days=365)).isoformat(),
                            "unit": 80,
                            "unitPrice": 300.0,
                        }
                        for _, number in people
                    ],
                },
            )
            self.state["contracts"] = True
            return ""

        self.check("WorkerContract.Add 劳动合同 → 处理成功", contracts, needs=("workers",))
        self.check(
            "WorkerContract.Query 含合同",
            lambda: self._count(self.query("WorkerContract.Query", {"pageSize": 100}), 2),
            needs=("contracts",),
        )

        def training() -> str:
            self.accepted(
                "ProjectTraining.Add",
                {
                    "projectCode": p,
                    "trainingDate": yesterday.isoformat(),
                    "trainingDuration": 2,
                    "trainingName": "入场三级安全教育",
                    "trainingTypeCode": "003001",
                    "trainer": "安全员",
                    "workerList": [
                        {"idCardType": "01", "idCardNumber": number} for _, number in people
                    ],
                },
            )
            self.state["training"] = True
            return ""

        self.check("ProjectTraining.Add 入场培训 → 处理成功", training, needs=("workers",))
        self.check(
            "ProjectTraining.Query 含培训",
            lambda: self._count(self.query("ProjectTraining.Query", {"pageSize": 100}), 1),
            needs=("training",),
        )

        def entry() -> str:
            self.accepted(
                "WorkerEntryExit.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "teamSysNo": self.state["team"],
                    "workerList": [
                        {
                            "idCardType": "01",
                            "idCardNumber": number,
                            # ProjectWorker.Add registered them today: not earlier than that.
                            "date": today.isoformat(),
                            "type": 1,
                        }
                        for _, number in people
                    ],
                },
            )
            self.state["entry"] = True
            return ""

        self.check("WorkerEntryExit.Add 进场 → 处理成功", entry, needs=("contracts", "training"))
        self.check(
            "WorkerEntryExit.Query 含进场记录",
            lambda: self._count(self.query("WorkerEntryExit.Query", {"pageSize": 100}), 2),
            needs=("entry",),
        )

        now = self.gateway.clock().astimezone(protocol.SHANGHAI).replace(microsecond=0)
        # In and out a minute apart, just now: after today's entry, not in the future.
        stamps = [now - dt.timedelta(minutes=2), now - dt.timedelta(minutes=1)]
        passes = {
            "projectCode": p,
            "teamSysNo": self.state.get("team"),
            "dataList": [
                {
                    "idCardType": "01",
                    "idCardNumber": number,
                    "date": moment.strftime("%Y-%m-%d %H:%M:%S"),
                    "direction": direction,
                    "channel": "一致性测试",
                    "attendType": "face",
                    # A pass without its snapshot is kept but not valid (it counts for no day's attendance).
                    **({"image": face} if face else {}),
                }
                for _, number in people
                for moment, direction in zip(stamps, ("01", "02"), strict=True)
            ],
        }

        def attendance() -> str:
            result = self.accepted("WorkerAttendance.Add", passes)
            self.state["attendance"] = True
            return f"成功 {result.get('successCount')} 条"

        self.check("WorkerAttendance.Add 4 条考勤 → 处理成功", attendance, needs=("entry",))

        def attendance_query() -> list[dict[str, Any]]:
            return self.query(
                "WorkerAttendance.Query", {"pageSize": 100, "date": stamps[0].date().isoformat()}
            )

        def resend() -> str:
            before = len(attendance_query())
            self.accepted("WorkerAttendance.Add", passes)  # a new nonce, the same records
            after = len(attendance_query())
            if after != before:
                raise CheckFailed(f"重发后考勤由 {before} 条变为 {after} 条（应不重复存储）")
            return f"重发前后均为 {after} 条"

        self.check("WorkerAttendance.Add 重发（新 nonce）不重复存储", resend, needs=("attendance",))

        def payroll() -> str:
            # A month's sheet is submitted once each worker confirmed his line (or the employer uploaded the
            # signed sheet, 条例 Art.15): until then the docked figures wait as a draft, the request ends 10 with
            # labor.payroll_unconfirmed on each record, and the same Payroll.Add resent afterwards submits it.
            result = self.accepted(
                "Payroll.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "teamSysNo": self.state["team"],
                    "payMonth": f"{today:%Y-%m}",
                    "detailList": [
                        {
                            "idCardType": "01",
                            "idCardNumber": number,
                            "days": 1,
                            "workHours": 8.0,
                            "payRollBankCardNumber": f"62220202001122{i:05d}",
                            "payRollBankCode": "102",
                            "payRollBankName": "中国工商银行中山分行",
                            "payBankCardNumber": "2011002109200054321",
                            "payBankCode": "102",
                            "payBankName": "中国工商银行中山小榄支行",
                            "totalPayAmount": 300.0,
                            "actualAmount": 300.0,
                            "isBackPay": 0,
                            "balanceDate": today.isoformat(),
                            "thirdPayRollCode": f"CONF-{tag:06d}-{i}",
                        }
                        for i, (_, number) in enumerate(people)
                    ],
                },
                awaiting=frozenset({LaborErrorCode.PAYROLL_UNCONFIRMED}),
            )
            self.state["payroll"] = True
            if result.get("status") == 10:
                return "工资表已按上传数据编制，待工人确认后重发同一请求即提交"
            return "工资表已提交"

        self.check("Payroll.Add 工资单 → 处理成功（或待工人确认）", payroll, needs=("attendance",))
        self.check(
            "Payroll.Query 含工资单",
            lambda: self._count(
                self.query("Payroll.Query", {"pageSize": 100, "payMonth": f"{today:%Y-%m}"}), 1
            ),
            needs=("payroll",),
        )

        # -- refusals vendors already handle

        def order_rule() -> str:
            reply = self.gateway.call(
                "ProjectWorker.Add",
                {
                    "projectCode": p,
                    "corpCode": corp_code,
                    "corpName": corp_name,
                    "teamSysNo": 2_000_000_000,
                    "workerList": [
                        {
                            "workerName": "测试无班组",
                            "isTeamLeader": 0,
                            "idCardType": "01",
                            "idCardNumber": synthetic_id_number(
                                birth=dt.date(1990, 1, 1), seq=tag + 2, male=True
                            ),
                            "workType": "020",
                            "workRole": 20,
                        }
                    ],
                },
            )
            self.expect_code(reply, GatewayCode.OK)
            result = self.gateway.result(reply.data["requestSerialCode"], wait=self.wait)
            text = json.dumps(result.get("result"), ensure_ascii=False)
            if result.get("status") != 10 or "teamSysNo" not in text:
                raise CheckFailed(f"应为处理失败(10)并指出 [teamSysNo]，实际 {result!r}"[:300])
            return text[:120]

        self.check("班组不存在的 ProjectWorker.Add → 处理失败(10)，原因含 [teamSysNo]", order_rule)

        def out_of_scope() -> str:
            return self.expect_code(
                self.gateway.call(
                    "Team.Query", {"projectCode": "000000000000000000", "pageIndex": 0}
                ),
                GatewayCode.PROJECT_OUT_OF_SCOPE,
                403,
            )

        self.check("授权范围外的项目 → 1012", out_of_scope)

    @staticmethod
    def _has(rows: list[dict[str, Any]], key: str, value: Any) -> str:
        if not any(r.get(key) == value for r in rows):
            raise CheckFailed(f"未找到 {key}={value}（共 {len(rows)} 行）")
        return f"共 {len(rows)} 行"

    @staticmethod
    def _count(rows: list[dict[str, Any]], at_least: int) -> str:
        if len(rows) < at_least:
            raise CheckFailed(f"应至少 {at_least} 行，实际 {len(rows)} 行")
        return f"{len(rows)} 行"


def run(
    send: Send,
    *,
    appid: str,
    secret: str,
    project: str,
    only: str = "all",
    wait: float = 60.0,
    out: TextIO = sys.stdout,
    clock: Callable[[], dt.datetime] | None = None,
) -> Kit:
    """Run the checks (`only`: "envelope" or "all"); answers the kit with its outcomes."""
    gateway = Gateway(send, appid, secret, clock=clock or (lambda: dt.datetime.now(dt.UTC)))
    kit = Kit(gateway, project, wait=wait, out=out)
    kit.run_envelope()
    if only == "all":
        kit.run_docking()
    print(kit.summary(), file=out, flush=True)
    return kit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smz.docking.conformance",
        description="附件8 一致性测试：按全国平台接口顺序对接一个项目，逐项检查应答。",
    )
    parser.add_argument("--url", required=True, help="接口地址，如 https://…/docking/v1/gateway")
    parser.add_argument("--appid", required=True)
    parser.add_argument("--secret", required=True, help="AppSecret（32个字符）")
    parser.add_argument(
        "--project", required=True, help="项目编码 projectCode（沙箱应用的测试项目）"
    )
    parser.add_argument(
        "--only", choices=("all", "envelope"), default="all", help="envelope：只检查报文与拒绝码"
    )
    parser.add_argument("--wait", type=float, default=60.0, help="每个异步请求最多等待的秒数")
    parser.add_argument("--timeout", type=float, default=30.0, help="每次 HTTP 请求的超时秒数")
    args = parser.parse_args(argv)
    if len(args.secret) != protocol.SECRET_LENGTH:
        parser.error("AppSecret 应为32个字符")
    kit = run(
        http_sender(args.url, args.timeout),
        appid=args.appid,
        secret=args.secret,
        project=args.project,
        only=args.only,
        wait=args.wait,
    )
    return 1 if kit.failed else 0


if __name__ == "__main__":
    sys.exit(main())
