"""The GB/T 28181 SIP server (V2): one asyncio loop serving UDP and TCP, one worker thread for the database.

REGISTER is checked with digest auth against the site's password (ProjectVideo.sip_password), written before
it is answered, then the device is asked for its Catalog and DeviceInfo. Keepalives are answered at once and
kept in memory (each camera's latest); every `flush_seconds` cameras_seen writes the batch, set-based: one
call per whole second the batch spans (normally one or two, whatever the number of cameras), each at its
second rounded down, so coverage is never credited for a moment nobody vouched for. Every `check_seconds` the
silence check (cameras_silent) runs in the same database job as a flush, judged at the moment that flush's
batch was taken: a camera that missed `missed` keepalives goes offline, its interval ending at its last
keepalive, and a keepalive still waiting in memory is never mistaken for silence.

Bad input costs little and stores nothing wrong: per-host token buckets (503 + Retry-After, answered at most
once a second per host), size limits (413), malformed messages (400), unknown ids (404), wrong passwords
(403); refusals are stored as SipRefusal rows, at most one per host and code a minute and `refusals_per_minute`
in all, and logged with the claimed id and the address only (never a password, a digest or a body)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections
from django.utils import timezone

from smz.core.timeutil import CITY_TZ
from smz.video.errors import VideoErrorCode
from smz.video.sip import digest, manscdp, store
from smz.video.sip.message import (
    MAX_HEADER_BLOCK,
    MAX_MESSAGE,
    SipError,
    SipMessage,
    can_answer,
    content_length,
    param,
    parse,
    request,
    response,
    uri_user,
)

log = logging.getLogger("smz.video.sip")
T = TypeVar("T")
CATALOG_ITEMS_MAX = 512
DEVICE_INFOS_PER_FLUSH = 50  # a registration storm's answers spread over flushes, not one long job
ANSWERS_MAX = 200_000  # transactions remembered for retransmissions (32 s each)


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 15060  # 0: any free port (tests), UDP and TCP may then differ
    server_id: str = "44200000002000000001"
    realm: str = "4420000000"
    keepalive_seconds: int = 60
    missed: int = 3
    check_seconds: float = 2.0
    flush_seconds: float = 1.0
    expires_default: int = 3600
    expires_min: int = 60
    expires_max: int = 86400
    rate_per_second: float = 100.0  # per host: a site's NAT may carry dozens of cameras
    burst: float = 200.0
    refusals_per_minute: int = 60
    lookup_ttl: float = 30.0
    offer_qop: bool = False
    queries: bool = True
    tcp_idle_seconds: float = 0.0  # 0: (missed + 1) × keepalive
    nonce_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def from_settings(cls, **overrides: Any) -> Config:
        values: dict[str, Any] = {
            "host": settings.SMZ_SIP_HOST,
            "port": settings.SMZ_SIP_PORT,
            "server_id": settings.SMZ_SIP_SERVER_ID,
            "realm": settings.SMZ_SIP_REALM,
            "keepalive_seconds": settings.SMZ_SIP_KEEPALIVE_SECONDS,
            "missed": settings.SMZ_SIP_MISSED_KEEPALIVES,
            # Stateless nonces survive a restart when the key does: derived from the secret key.
            "nonce_key": digest.md5("smz.video.sip.nonce:" + settings.SECRET_KEY).encode(),
        }
        values.update(overrides)
        return cls(**values)


@dataclass
class Peer:
    transport: str  # "UDP" or "TCP"
    host: str
    port: int
    writer: asyncio.StreamWriter | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Registration:
    pk: int
    gb_id: str
    is_recorder: bool
    until: dt.datetime
    peer: Peer


@dataclass
class Stats:
    received: int = 0
    keepalives: int = 0
    registers: int = 0
    refused: int = 0
    flushes: int = 0
    went_offline: int = 0
    dropped_flood: int = 0


def _transaction_key(msg: SipMessage) -> tuple[str, str, str]:
    """RFC 3261 §17.2.3: a request and its retransmissions share the top Via branch, Call-ID and CSeq."""
    return (
        msg.header("Call-ID") or "",
        msg.header("CSeq") or "",
        param(msg.header("Via"), "branch") or "",
    )


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: SipServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server.receive(data, Peer("UDP", addr[0], addr[1]))

    def error_received(
        self, exc: Exception
    ) -> None:  # ICMP unreachable of a gone camera: nothing to do
        log.debug("udp error %s", exc)


class SipServer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stats = Stats()
        self.registrations: dict[str, Registration] = {}
        self.pending_seen: dict[int, dt.datetime] = {}
        self.udp: asyncio.DatagramTransport | None = None
        self.tcp: asyncio.Server | None = None
        self.udp_port = 0
        self.tcp_port = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip-db")
        self._lookups: dict[str, tuple[float, store.Device | None]] = {}
        self._devices: dict[str, store.Device] = {}
        self._device_infos: list[tuple[int, dict[str, str]]] = []
        self._devices_at = 0.0
        self._answers: dict[tuple[str, str, str], tuple[float, bytes | None]] = {}
        self._reg_queue: list[
            tuple[tuple[int, dt.datetime, str, str, dt.datetime], asyncio.Future[None]]
        ] = []
        self._reg_wake = asyncio.Event()
        self._reg_task: asyncio.Task[None] | None = None
        self._buckets: dict[str, list[float]] = {}
        self._last_503: dict[str, float] = {}
        self._refusal_last: dict[tuple[str, str], float] = {}
        self._refusal_window: list[float] = [0.0, 0.0]  # window start, rows in it
        self._refusals: list[tuple[str, str, str, str]] = []
        self._catalogs: dict[tuple[str, str], tuple[float, int, list[dict[str, str]]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._cseq = 0
        self._last_check = 0.0
        self._stopping = False

    # ---- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await self._devices_refresh()
        for reg in await self.db(store.registrations_active, timezone.now()):
            host, _, port = reg.address.rpartition(":")
            if reg.transport == "UDP" and port.isdigit():
                self.registrations[reg.gb_id] = Registration(
                    reg.pk, reg.gb_id, reg.is_recorder, reg.until, Peer("UDP", host, int(port))
                )
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self), local_addr=(self.config.host, self.config.port)
        )
        self.udp = transport
        self.udp_port = transport.get_extra_info("sockname")[1]
        self.tcp = await asyncio.start_server(
            self._tcp_client,
            self.config.host,
            self.config.port,
            limit=MAX_HEADER_BLOCK + 4,
        )
        self.tcp_port = self.tcp.sockets[0].getsockname()[1]
        self._loop_task = asyncio.create_task(self._housekeeping())
        self._reg_task = asyncio.create_task(self._register_writer())
        log.info(
            "SIP server on %s udp:%s tcp:%s (realm %s, %d registrations kept)",
            self.config.host,
            self.udp_port,
            self.tcp_port,
            self.config.realm,
            len(self.registrations),
        )

    async def stop(self) -> None:
        self._stopping = True
        for background in (self._loop_task, self._reg_task):
            if background:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        if self.udp:
            self.udp.close()
        if self.tcp:
            self.tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.tcp.wait_closed(), 2)
        for task in list(self._tasks):
            task.cancel()
        await self._flush()
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)
        self._executor.shutdown(wait=True)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store function in the database thread."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, store.job, call)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("SIP task failed", exc_info=task.exception())

    async def _devices_refresh(self) -> None:
        self._devices = await self.db(store.devices_all)
        self._devices_at = time.monotonic()
        self._lookups.clear()

    async def _register_writer(self) -> None:
        """Group commit of accepted REGISTERs: whatever queued while the last batch was written goes in one
        job; each REGISTER is answered only after its batch committed."""
        while True:
            await self._reg_wake.wait()
            self._reg_wake.clear()
            batch, self._reg_queue = self._reg_queue, []
            if not batch:
                continue
            try:
                await self.db(store.registered, [row for row, _ in batch])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("storing %d SIP registrations failed", len(batch))
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    # ---- periodic work ------------------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_seconds)
            try:
                now = time.monotonic()
                check = now - self._last_check >= self.config.check_seconds
                if check:
                    self._last_check = now
                await self._flush(check=check)
                if check:
                    await self._check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SIP housekeeping failed; retrying next round")

    async def _flush(self, *, check: bool = False) -> None:
        """Write what is batched: refusals, DeviceInfo answers (at most DEVICE_INFOS_PER_FLUSH), then the
        keepalives and, when `check`, the silence check judged at the moment the batch was taken."""
        if self._refusals:
            rows, self._refusals = self._refusals, []
            try:
                await self.db(store.refusals, rows)
            except Exception:
                log.exception("storing %d SIP refusals failed", len(rows))
        if self._device_infos:
            infos = self._device_infos[:DEVICE_INFOS_PER_FLUSH]
            del self._device_infos[:DEVICE_INFOS_PER_FLUSH]
            try:
                await self.db(store.device_infos, infos)
            except Exception:
                log.exception("storing %d DeviceInfo answers failed", len(infos))
        if not self.pending_seen and not check:
            return
        batch, self.pending_seen = self.pending_seen, {}
        snapshot = timezone.now() if check else None
        try:
            went = await self.db(
                store.seen_and_silent,
                list(batch.items()),
                snapshot,
                self.config.keepalive_seconds,
                self.config.missed,
            )
            self.stats.flushes += 1
        except Exception:
            for pk, at in batch.items():  # keep them for the next flush
                self.pending_seen[pk] = min(at, self.pending_seen.get(pk, at))
            raise
        if went:
            self.stats.went_offline += len(went)
            log.info("%d devices offline (keepalives missed or registration expired)", len(went))

    async def _check(self) -> None:
        now = timezone.now()
        for gb_id, reg in list(self.registrations.items()):
            if reg.until < now:
                del self.registrations[gb_id]
        mono = time.monotonic()
        for key, (started, _, items) in list(self._catalogs.items()):
            if mono - started > 10:
                del self._catalogs[key]
                owner = self.registrations.get(key[0])
                if owner is not None and items:
                    self._spawn(self._catalog_store(owner, items))
        for host, bucket in list(self._buckets.items()):
            if mono - bucket[1] > 60:
                del self._buckets[host]
        for k, at in list(self._refusal_last.items()):
            if mono - at > 60:
                del self._refusal_last[k]
        if len(self._lookups) > 10_000:
            self._lookups.clear()
        for tkey, (at, _) in list(self._answers.items()):
            if mono - at > 32:  # RFC 3261 timer J / 64·T1: retransmissions are over
                del self._answers[tkey]
        if mono - self._devices_at > self.config.lookup_ttl:
            await self._devices_refresh()

    # ---- input ---------------------------------------------------------------------------------------

    def _allow(self, host: str) -> bool:
        """Token bucket per host."""
        now = time.monotonic()
        bucket = self._buckets.get(host)
        if bucket is None:
            bucket = self._buckets[host] = [self.config.burst, now]
        bucket[0] = min(
            self.config.burst, bucket[0] + (now - bucket[1]) * self.config.rate_per_second
        )
        bucket[1] = now
        if bucket[0] >= 1:
            bucket[0] -= 1
            return True
        return False

    def receive(self, data: bytes, peer: Peer, msg: SipMessage | None = None) -> None:
        """One datagram or framed TCP message. Never raises."""
        self.stats.received += 1
        try:
            self._receive(data, peer, msg)
        except Exception:
            log.exception("SIP message from %s not handled", peer.address)

    def _receive(self, data: bytes, peer: Peer, msg: SipMessage | None) -> None:
        if not self._allow(peer.host):
            self.stats.dropped_flood += 1
            now = time.monotonic()
            if now - self._last_503.get(peer.host, 0) >= 1:
                self._last_503[peer.host] = now
                self._refuse(peer, "", VideoErrorCode.SIP_RATE_LIMITED, "flood")
                with contextlib.suppress(SipError):
                    flood = msg or parse(data, stream=peer.transport == "TCP")
                    if can_answer(flood) and flood.method != "ACK":
                        self.send(peer, response(flood, 503, headers=[("Retry-After", "5")]))
            return
        if msg is None:
            if not data.strip(b"\r\n"):
                return  # a CRLF keep-alive ping (RFC 5626)
            try:
                msg = parse(data, stream=peer.transport == "TCP")
            except SipError as exc:
                claimed = uri_user(exc.message.header("From")) if exc.message else ""
                self._refuse(peer, claimed, exc.code, exc.detail)
                if (
                    exc.message is not None
                    and can_answer(exc.message)
                    and exc.message.method != "ACK"
                ):
                    self.send(peer, response(exc.message, exc.status))
                return
        if not msg.is_request:
            return  # a device's 200 to our query; its answer comes as a MESSAGE
        if msg.method != "ACK":
            key = _transaction_key(msg)
            seen = self._answers.get(key)
            # A retransmission: answered as before, or left to the first copy still being handled.
            if seen is not None:
                if seen[1] is not None:
                    self._send_raw(peer, seen[1])
                return
            if len(self._answers) > ANSWERS_MAX:  # bounded whatever the traffic
                self._answers.clear()
            self._answers[key] = (time.monotonic(), None)
        if msg.method == "REGISTER":
            self._spawn(self._register(msg, peer))
        elif msg.method == "MESSAGE":
            self._message(msg, peer)
        elif msg.method == "OPTIONS":
            self.send(peer, response(msg, 200, headers=[("Allow", "REGISTER, MESSAGE, OPTIONS")]))
        elif msg.method != "ACK":
            self.send(peer, response(msg, 405, headers=[("Allow", "REGISTER, MESSAGE, OPTIONS")]))

    def send(self, peer: Peer, msg: SipMessage) -> None:
        data = msg.to_bytes()
        if not msg.is_request:
            key = _transaction_key(msg)
            if key in self._answers:
                self._answers[key] = (time.monotonic(), data)
        self._send_raw(peer, data)

    def _send_raw(self, peer: Peer, data: bytes) -> None:
        if peer.transport == "TCP":
            if peer.writer is not None and not peer.writer.is_closing():
                peer.writer.write(data)
        elif self.udp is not None:
            self.udp.sendto(data, (peer.host, peer.port))

    def _refuse(self, peer: Peer, gb_id: str, code: str, detail: str) -> None:
        """Store a refusal, at most once per host and code a minute and `refusals_per_minute` in all."""
        self.stats.refused += 1
        now = time.monotonic()
        key = (peer.host, code)
        if now - self._refusal_last.get(key, -1e9) < 60:
            return
        window = self._refusal_window
        if now - window[0] >= 60:
            window[0], window[1] = now, 0
        if window[1] >= self.config.refusals_per_minute:
            return
        window[1] += 1
        self._refusal_last[key] = now
        gb_id = gb_id if gb_id.isascii() and gb_id.isdigit() else ""
        self._refusals.append((gb_id[:20], peer.address, code, detail[:200]))
        log.warning("SIP refused %s from %s: %s (%s)", gb_id or "-", peer.address, code, detail)

    async def _lookup(self, gb_id: str) -> store.Device | None:
        known = self._devices.get(gb_id)
        if known is not None:
            return known
        now = time.monotonic()
        hit = self._lookups.get(gb_id)
        if hit is not None and now - hit[0] < self.config.lookup_ttl:
            return hit[1]
        device = await self.db(store.device_lookup, gb_id)
        self._lookups[gb_id] = (now, device)
        return device

    # ---- REGISTER --------------------------------------------------------------------------------------

    def _expires(self, msg: SipMessage) -> int | None:
        value = msg.header("Expires")
        if value is None:
            value = param(msg.header("Contact"), "expires")
        if value is None:
            return self.config.expires_default
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            return None
        return min(int(value), self.config.expires_max)

    def _challenge(self, msg: SipMessage, peer: Peer, *, stale: bool = False) -> None:
        nonce = digest.nonce_new(self.config.nonce_key, self.config.realm)
        header = digest.challenge(self.config.realm, nonce, stale=stale, qop=self.config.offer_qop)
        self.send(peer, response(msg, 401, headers=[("WWW-Authenticate", header)]))

    async def _register(self, msg: SipMessage, peer: Peer) -> None:
        gb_id = uri_user(msg.header("To"))
        expires = self._expires(msg)
        if expires is None:
            self._refuse(peer, gb_id, VideoErrorCode.SIP_BAD_REQUEST, "bad Expires")
            self.send(peer, response(msg, 400))
            return
        if 0 < expires < self.config.expires_min:
            self.send(
                peer, response(msg, 423, headers=[("Min-Expires", str(self.config.expires_min))])
            )
            return
        valid = len(gb_id) == 20 and gb_id.isascii() and gb_id.isdigit()
        device = await self._lookup(gb_id) if valid else None
        if device is None:
            self._refuse(peer, gb_id, VideoErrorCode.SIP_UNKNOWN_ID, "unknown device id")
            self.send(peer, response(msg, 404))
            return
        if not device.active:
            self._refuse(peer, gb_id, VideoErrorCode.SIP_RETIRED, "device retired")
            self.send(peer, response(msg, 403))
            return
        if device.password is None:
            self._refuse(peer, gb_id, VideoErrorCode.SIP_NO_PASSWORD, "site has no SIP password")
            self.send(peer, response(msg, 403))
            return
        creds = digest.parse_credentials(msg.header("Authorization"))
        if creds is None or creds.get("realm") != self.config.realm:
            self._challenge(msg, peer)
            return
        state = digest.nonce_check(self.config.nonce_key, self.config.realm, creds.get("nonce", ""))
        if state != "ok":
            self._challenge(msg, peer, stale=state == "stale")
            return
        if creds.get("username") != gb_id or not digest.verify(
            creds, method="REGISTER", password=device.password, realm=self.config.realm
        ):
            self._refuse(peer, gb_id, VideoErrorCode.SIP_BAD_PASSWORD, "digest response wrong")
            self.send(peer, response(msg, 403))
            return
        now = timezone.now()
        self.stats.registers += 1
        if expires == 0:
            self.registrations.pop(gb_id, None)
            self.pending_seen.pop(device.pk, None)
            await self.db(store.unregistered, device.pk, now)
            log.info("SIP %s un-registered from %s", gb_id, peer.address)
            self.send(peer, response(msg, 200, headers=[("Expires", "0")]))
            return
        until = now + dt.timedelta(seconds=expires)
        old = self.registrations.get(gb_id)
        self.registrations[gb_id] = Registration(device.pk, gb_id, device.is_recorder, until, peer)
        self.pending_seen.pop(device.pk, None)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reg_queue.append(((device.pk, now, peer.transport, peer.address, until), fut))
        self._reg_wake.set()
        try:
            await fut
        except Exception:
            log.exception("SIP register of %s not stored", gb_id)
            self.send(peer, response(msg, 500))
            return
        date = (
            now.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{now.microsecond // 1000:03d}"
        )
        headers = [("Expires", str(expires)), ("Date", date)]
        if msg.header("Contact"):
            headers.insert(0, ("Contact", msg.header("Contact") or ""))
        self.send(peer, response(msg, 200, headers=headers))
        fresh = old is None or old.until < now or old.peer.address != peer.address
        if fresh:
            log.info("SIP %s registered from %s/%s", gb_id, peer.transport, peer.address)
            if self.config.queries:
                self.query(gb_id, "Catalog")
                self.query(gb_id, "DeviceInfo")

    def query(self, gb_id: str, cmd_type: str) -> None:
        """Ask a registered device (Catalog, DeviceInfo): a MESSAGE it answers with its own MESSAGE."""
        reg = self.registrations.get(gb_id)
        if reg is None:
            return
        self._cseq += 1
        local_port = self.tcp_port if reg.peer.transport == "TCP" else self.udp_port
        domain = self.config.realm
        msg = request(
            "MESSAGE",
            f"sip:{gb_id}@{reg.peer.address}",
            via=f"SIP/2.0/{reg.peer.transport} {self.config.host}:{local_port}",
            from_=f"<sip:{self.config.server_id}@{domain}>;tag={secrets.token_hex(5)}",
            to=f"<sip:{gb_id}@{domain}>",
            call_id=f"{secrets.token_hex(10)}@{self.config.host}",
            cseq=self._cseq,
            headers=[("Content-Type", "Application/MANSCDP+xml")],
            body=manscdp.query(cmd_type, self._cseq, gb_id),
        )
        self.send(reg.peer, msg)

    # ---- MESSAGE ---------------------------------------------------------------------------------------

    def _message(self, msg: SipMessage, peer: Peer) -> None:
        gb_id = uri_user(msg.header("From"))
        try:
            doc = manscdp.parse(msg.body)
        except manscdp.ManscdpError as exc:
            self._refuse(peer, gb_id, VideoErrorCode.SIP_MALFORMED, f"body: {exc}")
            self.send(peer, response(msg, 400))
            return
        reg = self.registrations.get(gb_id)
        if reg is None or reg.peer.host != peer.host or reg.until < timezone.now():
            # Not registered here (or from elsewhere): the device re-registers with its password.
            self._refuse(
                peer, gb_id, VideoErrorCode.SIP_NOT_REGISTERED, f"{doc.cmd_type} unregistered"
            )
            self.send(peer, response(msg, 403))
            return
        if peer.transport == "TCP":
            reg.peer = peer
        self.send(peer, response(msg, 200))
        now = timezone.now()
        if doc.cmd_type == "Keepalive":
            self.stats.keepalives += 1
            self.pending_seen[reg.pk] = now  # the latest: what the silence check must see
        elif doc.cmd_type == "Catalog" and doc.kind in ("Response", "Notify") and reg.is_recorder:
            self._catalog_part(reg, doc)
        elif (
            doc.cmd_type == "DeviceInfo"
            and doc.kind == "Response"
            and len(self._device_infos) < 100_000
        ):
            self._device_infos.append((reg.pk, doc.fields))

    def _catalog_part(self, reg: Registration, doc: manscdp.Manscdp) -> None:
        """A Catalog comes in parts (SumNum items over several MESSAGEs): gathered, then stored once."""
        key = (reg.gb_id, doc.sn)
        started, _, items = self._catalogs.get(key, (time.monotonic(), doc.sum_num, []))
        items = (items + doc.items)[:CATALOG_ITEMS_MAX]
        if doc.sum_num and len(items) < min(doc.sum_num, CATALOG_ITEMS_MAX):
            self._catalogs[key] = (started, doc.sum_num, items)
            return
        self._catalogs.pop(key, None)
        if items:
            self._spawn(self._catalog_store(reg, items))

    async def _catalog_store(self, reg: Registration, items: list[dict[str, str]]) -> None:
        created = await self.db(store.catalog, reg.pk, items, timezone.now())
        if created:
            log.info("SIP %s catalog: %d new channels", reg.gb_id, created)

    # ---- TCP -------------------------------------------------------------------------------------------

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        peer = Peer("TCP", host, port, writer)
        idle = (
            self.config.tcp_idle_seconds or (self.config.missed + 1) * self.config.keepalive_seconds
        )
        try:
            while not self._stopping:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), idle)
                except asyncio.LimitOverrunError:
                    self._refuse(
                        peer, "", VideoErrorCode.SIP_TOO_LARGE, "tcp header block too large"
                    )
                    return
                if not head.strip(b"\r\n"):
                    continue  # CRLF keep-alive ping
                head = head.lstrip(b"\r\n")
                length_header = None
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() in (b"content-length", b"l"):
                        length_header = value.decode("ascii", "replace")
                try:
                    length = content_length(length_header)
                except SipError as exc:
                    self.receive(head, peer)  # answered (400/413) from its headers
                    if exc.status == 413:
                        return  # the body cannot be skipped safely: the connection goes
                    continue
                body = await asyncio.wait_for(reader.readexactly(length or 0), idle)
                if len(head) + len(body) > MAX_MESSAGE:
                    self.receive(head + body, peer)
                    return
                self.receive(head + body, peer)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
