"""Adapter for WVP-GB28181-pro (648540858/wvp-GB28181-pro, the widely used open-source GB/T 28181 platform; its
media server is ZLMediaKit). What it speaks, read from its source (master, 2025):

- Envelope: every answer is `WVPResult` {code, msg, data}, code 0 = success
  (src/main/java/com/genersoft/iot/vmp/vmanager/bean/WVPResult.java, ErrorCode.java: 100 失败, 400, 401 请登录后重新
  请求, 404, 486, 500); controllers returning a bare object are wrapped by conf/GlobalResponseAdvice.java.
  `Assert.notNull` failures ("设备不存在", "通道不存在") come back as HTTP 200 with code 100
  (conf/GlobalExceptionHandler.java); a missing or expired token is HTTP 401 with {code: 401}
  (conf/security/AnonymousAuthenticationEntryPoint.java, JwtAuthenticationFilter.java).
- Login: GET /api/user/login?username=…&password=<32-hex MD5 of the password> → data.accessToken (also in the
  `access-token` response header); later requests carry the `access-token` header; tokens last 30 minutes
  (vmanager/user/UserController.java, conf/security/JwtUtils.java HEADER/EXPIRATION_TIME; web/src/store/modules/
  user.js hashes the password the same way).
- Devices: GET /api/device/query/devices?page=1&count=N → PageInfo {total, list: [Device]}, Device.deviceId,
  .name, .onLine (gb28181/controller/DeviceQuery.java, gb28181/bean/Device.java).
- Channels: GET /api/device/query/devices/{deviceId}/channels?page=1&count=N → PageInfo of DeviceChannel
  {deviceId (the channel's GB id), name, status "ON"/"OFF"} (DeviceQuery.java, gb28181/bean/DeviceChannel.java;
  web/src/views/device/channel/index.vue shows status === 'ON' as 在线).
- Play: GET /api/play/start/{deviceId}/{channelId} → StreamContent {app, stream, hls, https_hls, flv, ws_flv,
  fmp4, …} (gb28181/controller/PlayController.java, vmanager/bean/StreamContent.java); failures are code 100
  ("点播超时", "未找到可用的zlm") or the invite's own negative codes (service/bean/InviteErrorCode.java).

HTTP through `requests`, with connect/read timeouts; the token is kept per (base URL, user) in memory and renewed
once on a 401. Neither the password nor the token is ever logged or put into an error message."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from smz.video.platforms.base import (
    Inventory,
    PlatformChannel,
    PlatformDevice,
    PlayUrls,
    no_stream,
    refused,
    unreachable,
)

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 15.0)  # connect, read (seconds)
# WVP waits for the camera's INVITE answer and the first media (userSetting.playTimeout, 18 s by default).
PLAY_TIMEOUT = (5.0, 30.0)
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 devices or channels of one device: far beyond a city's; a platform looping stops here
TOKEN_HEADER = "access-token"  # noqa: S105 (a header name)
# Ids go into URL paths: GB/T 28181 ids are 20 digits; anything else from the platform is skipped.
_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")

_tokens: dict[tuple[str, str], str] = {}
_tokens_lock = threading.Lock()


class _Expired(Exception):
    """The token was refused (HTTP 401 or code 401): log in again."""


def password_digest(password: str) -> str:
    """WVP's login takes the MD5 hex of the password (UserController.login, web/src/store/modules/user.js)."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def _short(text: object) -> str:
    return str(text or "").replace("\n", " ")[:100]


class WvpAdapter:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        play_timeout: tuple[float, float] = PLAY_TIMEOUT,
    ):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.session = session or requests.Session()
        self.timeout = timeout
        self.play_timeout = play_timeout
        self.host = urlsplit(self.base_url).netloc
        self.logins = (
            0  # how many times this adapter logged in (tests: the token is reused, then renewed)
        )

    def __repr__(self) -> str:  # never the password or the token
        return f"WvpAdapter({self.base_url!r}, {self.username!r})"

    # ---- transport
    def _get(
        self, path: str, params: dict[str, Any] | None, token: str | None, timeout
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers[TOKEN_HEADER] = token
        try:
            response = self.session.get(
                self.base_url + path,
                params=params,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            log.warning("wvp %s: timeout on %s", self.host, path.split("?")[0][:40])
            raise unreachable("视频平台无响应（超时）") from None
        except requests.RequestException as exc:
            log.warning("wvp %s: %s", self.host, type(exc).__name__)
            raise unreachable("无法连接视频平台") from None
        if response.status_code == 401:
            raise _Expired
        if response.status_code >= 500:
            raise unreachable(f"视频平台暂时不可用（HTTP {response.status_code}）")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise unreachable(f"视频平台返回了无法识别的内容（HTTP {response.status_code}）")
        if body["code"] == 401:
            raise _Expired
        return body["code"], body

    def _login(self) -> str:
        self.logins += 1
        code, body = self._get(
            "/api/user/login",
            {"username": self.username, "password": password_digest(self._password)},
            None,
            self.timeout,
        )
        data = body.get("data")
        token = data.get("accessToken") if isinstance(data, dict) else None
        if code != 0 or not isinstance(token, str) or not token:
            raise refused(f"视频平台拒绝登录：{_short(body.get('msg')) or '用户名或密码错误'}")
        with _tokens_lock:
            _tokens[(self.base_url, self.username)] = token
        return token

    def _call(
        self, path: str, params: dict[str, Any] | None = None, *, timeout=None
    ) -> tuple[int, dict[str, Any]]:
        """GET with the cached token; on a 401 log in once more and repeat."""
        key = (self.base_url, self.username)
        with _tokens_lock:
            token = _tokens.get(key)
        for attempt in range(2):
            if token is None:
                token = self._login()
            try:
                return self._get(path, params, token, timeout or self.timeout)
            except _Expired:
                with _tokens_lock:
                    _tokens.pop(key, None)
                token = None
                if attempt:
                    break
        raise refused("视频平台拒绝了本平台的登录凭证")

    def _data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        code, body = self._call(path, params)
        if code != 0:
            raise refused(f"视频平台拒绝请求：{_short(body.get('msg'))}")
        return body.get("data")

    def _pages(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._data(path, {"page": page, "count": PAGE_SIZE})
            if not isinstance(data, dict) or not isinstance(data.get("list"), list):
                raise unreachable("视频平台返回的列表格式无法识别")
            batch = [r for r in data["list"] if isinstance(r, dict)]
            rows.extend(batch)
            total = data.get("total")
            if (
                not batch
                or len(batch) < PAGE_SIZE
                or (isinstance(total, int) and len(rows) >= total)
            ):
                break
        return rows

    # ---- the interface
    def check(self) -> int:
        """Test connection: log in afresh and read the first page of devices; returns the device count."""
        with _tokens_lock:
            _tokens.pop((self.base_url, self.username), None)
        data = self._data("/api/device/query/devices", {"page": 1, "count": 1})
        total = data.get("total") if isinstance(data, dict) else None
        return total if isinstance(total, int) else 0

    def inventory(self) -> Inventory:
        devices: list[PlatformDevice] = []
        channels: list[PlatformChannel] = []
        for row in self._pages("/api/device/query/devices"):
            device_id = row.get("deviceId")
            if not isinstance(device_id, str) or not _ID.match(device_id):
                continue
            online = row.get("onLine") is True
            devices.append(PlatformDevice(device_id, _short(row.get("name")), online))
            if not online:
                continue  # an offline device's channels are offline; not asking spares a call per device
            for ch in self._pages(f"/api/device/query/devices/{quote(device_id)}/channels"):
                channel_id = ch.get("deviceId")
                if not isinstance(channel_id, str) or not _ID.match(channel_id):
                    continue
                status = str(ch.get("status") or "").upper()
                channels.append(
                    PlatformChannel(
                        device_id,
                        channel_id,
                        _short(ch.get("name")),
                        status in ("ON", "ONLINE"),
                    )
                )
        return Inventory(devices, channels)

    def play(self, *, device_id: str, channel_id: str) -> PlayUrls:
        if not (_ID.match(device_id) and _ID.match(channel_id)):
            raise no_stream("视频平台设备编号无效")
        code, body = self._call(
            f"/api/play/start/{quote(device_id)}/{quote(channel_id)}", timeout=self.play_timeout
        )
        if code != 0:
            raise no_stream(f"视频平台无法点播：{_short(body.get('msg')) or code}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise no_stream("视频平台未返回播放地址")
        secure = self.base_url.startswith("https://")

        def url(name: str, schemes: tuple[str, ...]) -> str:
            for key in (f"https_{name}", name) if secure else (name,):
                value = data.get(key)
                if isinstance(value, str) and urlsplit(value).scheme in schemes:
                    return value
            return ""

        hls = url("hls", ("http", "https"))
        if not hls:
            raise no_stream("视频平台未返回 HLS 播放地址")
        ws = data.get("wss_flv" if secure else "ws_flv")
        return PlayUrls(
            hls=hls,
            flv=url("flv", ("http", "https")),
            ws_flv=ws if isinstance(ws, str) and urlsplit(ws).scheme in ("ws", "wss") else "",
            fmp4=url("fmp4", ("http", "https")),
        )
