"""A fake WVP-GB28181-pro (the city's video platform), for the adapter's tests and for trying the live view by
hand (`manage.py video_fake_wvp --port 18080`). No Django: its state lives in memory.

It answers the endpoints smz's adapter uses, in WVP's own shapes (see smz/video/platforms/wvp.py for the source
files they come from): GET /api/user/login (MD5 password → data.accessToken and the `access-token` header),
/api/device/query/devices and /api/device/query/devices/{id}/channels (PageInfo {total, list, pageNum,
pageSize, …} of Device {deviceId, name, onLine} and DeviceChannel {deviceId, name, status "ON"/"OFF"}), and
/api/play/start/{deviceId}/{channelId} (StreamContent {app, stream, hls, flv, ws_flv, fmp4, …} with
ZLMediaKit-style URLs `<media>/rtp/<device>_<channel>/hls.m3u8`). Errors as WVP gives them: HTTP 401 {code: 401}
without a valid token, HTTP 200 {code: 100, msg: "设备不存在"} for an unknown device, {code: 100, msg: "点播超时"}
for a channel that sends nothing, {code: 100, msg: "用户名或密码错误"} for a wrong login.

Test controls: `fail_next(n, mode)` with "500" (HTTP 500), "bad_json" (an HTML error page), "refuse" (HTTP 200
{code: 403, msg: "无权限操作"}), "timeout" (the answer never comes: the server holds the connection past the
client's timeout); `expire_tokens()` (every token
issued so far is refused with 401, as after WVP's 30 minutes); `calls` lists the paths asked, in order.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class FakeChannel:
    channel_id: str
    name: str
    on: bool = True


@dataclass
class FakeDevice:
    device_id: str
    name: str
    online: bool = True
    channels: list[FakeChannel] = field(default_factory=list)


@dataclass
class FakeWvp:
    username: str = "admin"
    password: str = "admin"  # noqa: S105 (WVP's default account; a fake)
    media_base: str = "http://127.0.0.1:18081"
    devices: dict[str, FakeDevice] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    timeout_seconds: float = 3.0
    _tokens: set[str] = field(default_factory=set)
    _failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- setup and controls
    def add_device(
        self,
        device_id: str,
        name: str,
        *,
        online: bool = True,
        channels: dict[str, bool] | None = None,
    ) -> FakeDevice:
        """A device with its channels {channel id: ON?}; an IPC without `channels` lists itself as its one."""
        chans = channels if channels is not None else {device_id: True}
        device = FakeDevice(
            device_id,
            name,
            online,
            [FakeChannel(c, f"{name}-{i + 1}", on) for i, (c, on) in enumerate(chans.items())],
        )
        self.devices[device_id] = device
        return device

    def fail_next(self, n: int, mode: str = "500") -> None:
        assert mode in {"500", "bad_json", "refuse", "timeout"}
        self._failures.extend([mode] * n)

    def expire_tokens(self) -> None:
        self._tokens.clear()

    # ---- the protocol
    def handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        """Answer one GET: (HTTP status, body — a dict as JSON, or a str sent as text/html)."""
        with self._lock:
            self.calls.append(path)
            mode = self._failures.pop(0) if self._failures else ""
        if mode == "timeout":
            time.sleep(self.timeout_seconds)
            return 504, {"code": 500, "msg": "timeout", "data": None}
        if mode == "500":
            return 500, {"code": 500, "msg": "系统异常", "data": None}
        if mode == "bad_json":
            return 200, "<html><body>502 Bad Gateway</body></html>"
        if mode == "refuse":
            return 200, {"code": 403, "msg": "无权限操作", "data": None}
        if path == "/api/user/login":
            return self._login(query)
        if headers.get("access-token") not in self._tokens:
            return 401, {"code": 401, "msg": "请登录后重新请求"}
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:4] == ["api", "device", "query", "devices"]:
            if len(parts) == 4:
                rows = [self._device_json(d) for d in self.devices.values()]
                return self._page(rows, query)
            if len(parts) == 6 and parts[5] == "channels":
                device = self.devices.get(parts[4])
                chans = [self._channel_json(device, c) for c in device.channels] if device else []
                return self._page(chans, query)
        if parts[:3] == ["api", "play", "start"] and len(parts) == 5:
            return self._play(parts[3], parts[4])
        return 404, {"code": 404, "msg": "资源未找到", "data": None}

    def _login(self, query: dict[str, str]) -> tuple[int, Any]:
        digest = hashlib.md5(self.password.encode(), usedforsecurity=False).hexdigest()
        if query.get("username") != self.username or query.get("password") != digest:
            return 200, {"code": 100, "msg": "用户名或密码错误", "data": None}
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return 200, {
            "code": 0,
            "msg": "成功",
            "data": {"accessToken": token, "serverId": "000000", "username": self.username},
        }

    @staticmethod
    def _page(rows: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, Any]:
        try:
            page, count = int(query.get("page", "1")), int(query.get("count", "15"))
        except ValueError:
            return 400, {"code": 400, "msg": "参数或方法错误", "data": None}
        start = (page - 1) * count
        chunk = rows[start : start + count]
        pages = (len(rows) + count - 1) // count if count else 0
        return 200, {
            "code": 0,
            "msg": "成功",
            "data": {
                "total": len(rows),
                "list": chunk,
                "pageNum": page,
                "pageSize": count,
                "size": len(chunk),
                "pages": pages,
                "isFirstPage": page == 1,
                "isLastPage": page >= pages,
                "hasNextPage": page < pages,
            },
        }

    @staticmethod
    def _device_json(d: FakeDevice) -> dict[str, Any]:
        return {
            "id": abs(hash(d.device_id)) % 10_000,
            "deviceId": d.device_id,
            "name": d.name,
            "manufacturer": "Hikvision",
            "transport": "UDP",
            "streamMode": "UDP",
            "onLine": d.online,
            "channelCount": len(d.channels),
            "charset": "GB2312",
        }

    @staticmethod
    def _channel_json(d: FakeDevice, c: FakeChannel) -> dict[str, Any]:
        return {
            "deviceId": c.channel_id,
            "name": c.name,
            "parentId": d.device_id,
            "status": "ON" if c.on else "OFF",
            "ptzType": 3,
            "hasAudio": False,
        }

    def _play(self, device_id: str, channel_id: str) -> tuple[int, Any]:
        device = self.devices.get(device_id)
        if device is None:
            return 200, {"code": 100, "msg": "设备不存在", "data": None}
        channel = next((c for c in device.channels if c.channel_id == channel_id), None)
        if channel is None:
            return 200, {"code": 100, "msg": "通道不存在", "data": None}
        if not (device.online and channel.on):
            return 200, {"code": 100, "msg": "点播超时", "data": None}
        stream = f"{device_id}_{channel_id}"
        base = self.media_base.rstrip("/")
        ws = base.replace("http", "ws", 1)
        return 200, {
            "code": 0,
            "msg": "成功",
            "data": {
                "app": "rtp",
                "stream": stream,
                "ip": urlsplit(base).hostname,
                "flv": f"{base}/rtp/{stream}.live.flv",
                "ws_flv": f"{ws}/rtp/{stream}.live.flv",
                "fmp4": f"{base}/rtp/{stream}.live.mp4",
                "hls": f"{base}/rtp/{stream}/hls.m3u8",
                "ts": f"{base}/rtp/{stream}.live.ts",
                "rtsp": f"rtsp://{urlsplit(base).hostname}:554/rtp/{stream}",
                "mediaServerId": "zlmediakit-local",
            },
        }


def make_server(fake: FakeWvp, host: str = "127.0.0.1", port: int = 18080) -> ThreadingHTTPServer:
    """An HTTP server answering GETs with the fake platform (port 0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = fake.handle(split.path, query, headers)
            if isinstance(body, str):
                payload, kind = body.encode(), "text/html; charset=utf-8"
            else:
                payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
                kind = "application/json; charset=utf-8"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                if isinstance(body, dict) and split.path == "/api/user/login" and body.get("data"):
                    self.send_header("access-token", body["data"]["accessToken"])
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (an injected timeout)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the login's query carries the password's digest: log nothing

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(fake: FakeWvp, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """Start the fake on a free port in a daemon thread; returns the server and its base URL."""
    server = make_server(fake, host, 0)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_port}"
