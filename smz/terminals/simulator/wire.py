"""Plain HTTP for the simulated devices (stdlib http.client, one connection per request) and the tally."""

from __future__ import annotations

import http.client
import json
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def code(self) -> str:
        """The refusal code: `code` of a JSON error envelope, or `ERROR: <code>` of a ZKTeco answer."""
        if self.text.startswith("ERROR: "):
            return self.text[7:].strip()
        try:
            data = self.json()
        except ValueError:
            return f"http.{self.status}"
        return str(data.get("code", f"http.{self.status}")) if isinstance(data, dict) else ""


class Http:
    """Requests to one base URL (http or https). A new connection each time: a device may drop off."""

    def __init__(self, base_url: str, timeout: float = 120) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http(s)://host[:port], not {base_url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path
        self.timeout = timeout
        self.requests = 0
        self.bytes_sent = 0

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        """`path` is what gets signed: the path and query below the base URL's own path."""
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.timeout)
        try:
            conn.connect()
            # http.client writes headers and body separately: without NODELAY, Nagle holds the body
            # until the server's delayed ACK (~40 ms a request).
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.request(method, self.prefix + path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            reply = Reply(response.status, response.read())
        finally:
            conn.close()
        self.requests += 1
        self.bytes_sent += len(body)
        return reply


@dataclass
class Tally:
    """What one device did and what the platform answered; tallies of all devices are added up."""

    devices: int = 0
    people: int = 0
    planned: int = 0  # passes the people made
    records_sent: int = 0  # pass records in upload bodies (resends included, batch replays not)
    statuses: Counter = field(default_factory=Counter)  # accepted / duplicate / rejected
    invalid: Counter = field(default_factory=Counter)  # accepted but not counting, by reason
    rejected: Counter = field(default_factory=Counter)  # by record code
    refusals: Counter = field(default_factory=Counter)  # refused requests, by code
    bad_signatures_sent: int = 0
    replays: int = 0  # batches sent again with the same batch_id
    replays_same: int = 0  # ... answered exactly as the first time
    resent: int = 0  # records sent again after an outage or a reupload command
    zk_lines: int = 0
    zk_stored: int = 0  # "OK: n" of ATTLOG uploads (stored now or before)
    zk_resent: int = 0
    zk_photos: int = 0
    commands: Counter = field(default_factory=Counter)
    requests: int = 0
    bytes_sent: int = 0
    clocks: list[tuple[str, int, int | None]] = field(
        default_factory=list
    )  # serial, skew, measured

    def __iadd__(self, other: Tally) -> Tally:
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(mine, Counter):
                mine.update(value)
            elif isinstance(mine, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)
        return self

    def lines(self, elapsed: float) -> list[str]:
        s = self.statuses
        rejected = "，".join(f"{k} {v}" for k, v in sorted(self.rejected.items())) or "无"
        refused = "，".join(f"{k} {v}" for k, v in sorted(self.refusals.items())) or "无"
        invalid = "，".join(f"{k} {v}" for k, v in sorted(self.invalid.items()))
        commands = "，".join(f"{k} {v}" for k, v in sorted(self.commands.items())) or "无"
        out = [
            f"设备             {self.devices} 台（名单上共 {self.people} 人）",
            f"模拟通行         {self.planned} 次",
            f"直连记录         发送 {self.records_sent} 条（其中重发 {self.resent} 条）",
            f"  已接收         {s['accepted']}" + (f"（判为无效：{invalid}）" if invalid else ""),
            f"  重复           {s['duplicate']}",
            f"  拒收           {s['rejected']}（{rejected}）",
            f"  批次重放       {self.replays}（{self.replays_same} 次得到与首次相同的应答）",
            f"ZKTeco 记录      发送 {self.zk_lines} 行（重发 {self.zk_resent} 行），"
            f"入库 {self.zk_stored} 条，照片 {self.zk_photos} 张",
            f"错误签名         发送 {self.bad_signatures_sent} 次，"
            f"拒绝 {self.refusals['device.bad_signature']} 次",
            f"被拒请求         {refused}",
            f"完成的指令       {commands}",
            f"请求             {self.requests} 次（发送 {self.bytes_sent / 1e6:.1f} MB）",
        ]
        for serial, skew, measured in self.clocks:
            seen = "未测得" if measured is None else f"平台测得 {measured / 1000:+.1f} 秒"
            out.append(f"时钟 {serial:<13} 设定偏差 {skew:+d} 秒，{seen}")
        out.append(f"用时             {elapsed:.1f} 秒")
        return out
