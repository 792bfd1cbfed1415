"""A GB/T 28181 camera simulator (issue 16 item 8): cameras and NVRs that REGISTER with digest auth, keep alive,
re-register before expiry, answer Catalog and DeviceInfo, and drop out on command or on a timer.

    python -m smz.video.simulator --from-db                       # the database's sip cameras, their sites' passwords
    python -m smz.video.simulator --cameras 2000 --json devices.json --keepalive 6
    python -m smz.video.simulator --ids 44200000001327000001 --password secret123 --drop 44200000001327000001 --drop-after 30

Pure asyncio; Django is imported only by --from-db. All devices of one simulator share one UDP socket (the
server answers the address a message came from; requests to a device are routed by the id in their URI), or
have a TCP connection each (--transport tcp). Used by the tests (smz/video/tests/test_sip_server.py), the
benchmark (bench/video_sip.py) and the demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from smz.video.sip import digest, manscdp
from smz.video.sip.message import (
    SipError,
    SipMessage,
    content_length,
    parse,
    request,
    response,
    uri_user,
)

REGISTER_TIMEOUT = 32.0  # RFC 3261 timer F: a busy server is waited for, not flooded


@dataclass
class Channel:
    gb_id: str
    name: str
    status: str = "ON"


@dataclass
class SimDevice:
    gb_id: str
    password: str
    kind: str = "ipc"  # or "nvr"
    name: str = "模拟摄像机"
    maker: str = "Hikvision"
    model: str = "DS-2CD3T46WDV3-I3"
    firmware: str = "V5.7.3"
    channels: list[Channel] = field(default_factory=list)
    # state
    registered: bool = False
    dropped: bool = False
    keepalives: int = 0
    last_keepalive: float = 0.0  # wall clock (time.time) of the last keepalive answered 200
    registers: int = 0
    refused: int = 0  # final answers other than 200 to REGISTER
    queries: int = 0
    expires_at: float = 0.0
    last_status: int = 0
    transport: Any = None  # TCP: (reader, writer)
    task: asyncio.Task[None] | None = None
    _sn: int = 0

    def catalog_items(self) -> list[dict[str, str]]:
        if self.kind == "nvr":
            return [
                {
                    "DeviceID": c.gb_id,
                    "Name": c.name,
                    "Manufacturer": self.maker,
                    "Model": "IP Camera",
                    "Owner": "Owner",
                    "CivilCode": self.gb_id[:6],
                    "Address": "Address",
                    "Parental": "0",
                    "ParentID": self.gb_id,
                    "RegisterWay": "1",
                    "Secrecy": "0",
                    "Status": c.status,
                }
                for c in self.channels
            ]
        channel = self.gb_id[:10] + "131" + self.gb_id[13:]
        return [
            {
                "DeviceID": channel,
                "Name": self.name,
                "Manufacturer": self.maker,
                "Model": self.model,
                "ParentID": self.gb_id,
                "Status": "ON",
            }
        ]


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sim.incoming(data, None)


class Simulator:
    def __init__(
        self,
        devices: list[SimDevice],
        *,
        server: tuple[str, int],
        transport: str = "udp",
        keepalive: float = 60.0,
        expires: int = 3600,
        local_host: str = "127.0.0.1",
        ramp: float = 0.0,
        catalog_chunk: int = 2,
        autorun: bool = True,
    ) -> None:
        self.devices = {d.gb_id: d for d in devices}
        self.server = server
        self.transport_kind = transport.upper()
        self.keepalive = keepalive
        self.expires = expires
        self.local_host = local_host
        self.ramp = ramp
        self.catalog_chunk = catalog_chunk
        self.autorun = autorun  # False: devices act only when told (register(), keepalive_once())
        self.udp: asyncio.DatagramTransport | None = None
        self.local_port = 0
        self.pending: dict[str, asyncio.Future[SipMessage]] = {}
        self._stop = asyncio.Event()

    # ---- plumbing -------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.transport_kind == "UDP":
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.local_host, 0)
            )
            self.udp = transport
            self.local_port = transport.get_extra_info("sockname")[1]
        for i, dev in enumerate(self.devices.values()):
            if not self.autorun:
                break
            delay = self.ramp * i / max(1, len(self.devices))
            dev.task = asyncio.create_task(self._run(dev, delay))

    async def stop(self) -> None:
        self._stop.set()
        for dev in self.devices.values():
            if dev.task:
                dev.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await dev.task
            if dev.transport:
                dev.transport[1].close()
        if self.udp:
            self.udp.close()

    def send(self, dev: SimDevice, msg: SipMessage) -> None:
        data = msg.to_bytes()
        if self.transport_kind == "TCP":
            if dev.transport and not dev.transport[1].is_closing():
                dev.transport[1].write(data)
        elif self.udp:
            self.udp.sendto(data, self.server)

    def incoming(self, data: bytes, dev: SimDevice | None) -> None:
        try:
            msg = parse(data, stream=dev is not None)
        except SipError:
            return
        if not msg.is_request:
            fut = self.pending.pop(msg.header("Call-ID") or "", None)
            if fut and not fut.done():
                fut.set_result(msg)
            return
        target = self.devices.get(uri_user(msg.uri)) or self.devices.get(uri_user(msg.header("To")))
        if target is None:
            return
        if target.dropped:
            return  # a dropped device is silent
        if msg.method == "MESSAGE":
            target.queries += 1
            self.send(target, response(msg, 200))
            try:
                doc = manscdp.parse(msg.body)
            except manscdp.ManscdpError:
                return
            asyncio.get_running_loop().create_task(self._answer(target, doc))

    async def _tcp_reader(self, dev: SimDevice, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, SipError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() in (b"content-length", b"l"):
                        length = content_length(value.decode("ascii", "replace")) or 0
                body = await reader.readexactly(length)
                self.incoming(head + body, dev)

    def _via(self, dev: SimDevice) -> str:
        if self.transport_kind == "TCP" and dev.transport:
            host, port = dev.transport[1].get_extra_info("sockname")[:2]
        else:
            host, port = self.local_host, self.local_port
        return f"SIP/2.0/{self.transport_kind} {host}:{port}"

    async def transact(
        self, dev: SimDevice, msg: SipMessage, timeout: float = 4.0
    ) -> SipMessage | None:
        """Send a request and wait for its final answer (UDP: retransmitted at 0.5 s, 1 s, 2 s)."""
        call_id = msg.header("Call-ID") or ""
        fut: asyncio.Future[SipMessage] = asyncio.get_running_loop().create_future()
        self.pending[call_id] = fut
        deadline = time.monotonic() + timeout
        interval = 0.5
        try:
            while True:
                self.send(dev, msg)
                wait = min(interval, deadline - time.monotonic())
                if wait <= 0:
                    return None
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), wait)
                except TimeoutError:
                    if self.transport_kind == "TCP":
                        interval = deadline - time.monotonic()
                    interval *= 2
        finally:
            self.pending.pop(call_id, None)

    def _new(self, dev: SimDevice, method: str, cseq: int, call_id: str, **kw: Any) -> SipMessage:
        realm = self.realm_of(dev)
        host, port = self.server
        return request(
            method,
            f"sip:{realm}@{host}:{port}" if method == "REGISTER" else f"sip:{realm}@{realm}",
            via=self._via(dev),
            from_=f"<sip:{dev.gb_id}@{realm}>;tag={secrets.token_hex(4)}",
            to=f"<sip:{dev.gb_id}@{realm}>" if method == "REGISTER" else f"<sip:{realm}@{realm}>",
            call_id=call_id,
            cseq=cseq,
            **kw,
        )

    def realm_of(self, dev: SimDevice) -> str:
        return dev.gb_id[:10]

    # ---- device behaviour -------------------------------------------------------------------------------

    async def register(self, dev: SimDevice, expires: int | None = None) -> int:
        """REGISTER (with the digest round); returns the final status (0: no answer)."""
        expires = self.expires if expires is None else expires
        call_id = f"{secrets.token_hex(8)}@{self.local_host}"
        uri_host = f"{self.local_host}:{self.local_port}"
        headers = [
            ("Contact", f"<sip:{dev.gb_id}@{uri_host}>"),
            ("User-Agent", "smz-simulator"),
            ("Expires", str(expires)),
        ]
        msg = self._new(dev, "REGISTER", 1, call_id, headers=headers)
        answer = await self.transact(dev, msg, timeout=REGISTER_TIMEOUT)
        if answer is not None and answer.status == 401:
            challenge = digest.parse_credentials(answer.header("WWW-Authenticate")) or {}
            qop = "auth" if "auth" in challenge.get("qop", "") else None
            auth = digest.authorization(
                username=dev.gb_id,
                realm=challenge.get("realm", ""),
                password=dev.password,
                method="REGISTER",
                uri=msg.uri,
                nonce=challenge.get("nonce", ""),
                qop=qop,
                cnonce=secrets.token_hex(4) if qop else "",
            )
            msg = self._new(
                dev, "REGISTER", 2, call_id, headers=[*headers, ("Authorization", auth)]
            )
            answer = await self.transact(dev, msg, timeout=REGISTER_TIMEOUT)
        dev.last_status = answer.status if answer else 0
        if answer is not None and answer.status == 200:
            dev.registers += 1
            granted = answer.header("Expires") or str(expires)
            dev.registered = expires > 0
            dev.expires_at = time.time() + (int(granted) if granted.isdigit() else expires)
        else:
            dev.refused += 1
            dev.registered = False
        return dev.last_status

    async def keepalive_once(self, dev: SimDevice) -> int:
        dev._sn += 1
        msg = self._new(
            dev,
            "MESSAGE",
            dev._sn + 20,
            f"{secrets.token_hex(8)}@{self.local_host}",
            headers=[("Content-Type", "Application/MANSCDP+xml")],
            body=manscdp.keepalive(dev._sn, dev.gb_id),
        )
        answer = await self.transact(dev, msg, timeout=3.0)
        status = answer.status if answer else 0
        if status == 200:
            dev.keepalives += 1
            dev.last_keepalive = time.time()
        return status

    async def _connect(self, dev: SimDevice) -> None:
        if self.transport_kind != "TCP":
            return
        reader, writer = await asyncio.open_connection(*self.server)
        dev.transport = (reader, writer)
        asyncio.get_running_loop().create_task(self._tcp_reader(dev, reader))

    async def _run(self, dev: SimDevice, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._connect(dev)
        while not self._stop.is_set() and not dev.dropped:
            if not dev.registered or dev.expires_at - time.time() < min(60, self.expires / 4):
                status = await self.register(dev)
                if status in (403, 404):
                    # Refused: back off as 附件2 5.3.6 asks (30 s, doubling up to 300 s).
                    await asyncio.sleep(min(300, 30 * 2 ** min(dev.refused - 1, 4)))
                    continue
                if status != 200:  # no answer, or 503 (Retry-After 5): try again soon
                    await asyncio.sleep(min(self.keepalive, 5) * (0.5 + random.random()))  # noqa: S311
                    continue
            status = await self.keepalive_once(dev)
            if status in (403, 404):
                dev.registered = False  # the server forgot us: register again
                continue
            await asyncio.sleep(self.keepalive)

    def drop(self, gb_id: str) -> None:
        """The device goes silent (power cut, network gone): no keepalive, no answer, no re-register."""
        dev = self.devices[gb_id]
        dev.dropped = True

    async def unregister(self, gb_id: str) -> int:
        dev = self.devices[gb_id]
        dev.dropped = True
        return await self.register(dev, expires=0)

    async def _answer(self, dev: SimDevice, doc: manscdp.Manscdp) -> None:
        bodies: list[bytes] = []
        if doc.cmd_type == "Catalog":
            items = dev.catalog_items()
            chunk = max(1, self.catalog_chunk)
            for i in range(0, max(1, len(items)), chunk):
                bodies.append(
                    manscdp.catalog_response(doc.sn, dev.gb_id, len(items), items[i : i + chunk])
                )
        elif doc.cmd_type == "DeviceInfo":
            bodies.append(
                manscdp.device_info_response(
                    doc.sn,
                    dev.gb_id,
                    name=dev.name,
                    maker=dev.maker,
                    model=dev.model,
                    firmware=dev.firmware,
                    channels=len(dev.channels) or 1,
                )
            )
        for body in bodies:
            dev._sn += 1
            msg = self._new(
                dev,
                "MESSAGE",
                dev._sn + 20,
                f"{secrets.token_hex(8)}@{self.local_host}",
                headers=[("Content-Type", "Application/MANSCDP+xml")],
                body=body,
            )
            await self.transact(dev, msg, timeout=3.0)


# ---- command line -----------------------------------------------------------------------------------------


def devices_from_db(limit: int | None) -> list[SimDevice]:
    """Active directly registering cameras and recorders, with their sites' passwords (needs Django)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from smz.video.models import Camera

    out: list[SimDevice] = []
    rows = Camera.objects.filter(
        source=Camera.Source.SIP, status=Camera.Status.ACTIVE, nvr__isnull=True
    ).select_related("project__video")
    for cam in rows.order_by("pk")[:limit]:
        video = getattr(cam.project, "video", None)
        if video is None:
            continue
        dev = SimDevice(cam.gb_id, video.sip_password, kind="nvr" if cam.is_recorder else "ipc")
        dev.name = cam.name
        if cam.is_recorder:
            dev.channels = [
                Channel(c.gb_id, c.name) for c in cam.channels.filter(status=Camera.Status.ACTIVE)
            ]
        out.append(dev)
    return out


def devices_from_json(path: str) -> list[SimDevice]:
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    return [
        SimDevice(
            r["gb_id"],
            r["password"],
            kind=r.get("kind", "ipc"),
            channels=[
                Channel(c["gb_id"], c.get("name", "通道"), c.get("status", "ON"))
                for c in r.get("channels", [])
            ],
        )
        for r in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smz.video.simulator", description=__doc__)
    parser.add_argument("--cameras", type=int, default=None, help="how many devices (first N)")
    parser.add_argument("--server", default="127.0.0.1:15060", help="host:port of the SIP server")
    parser.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    parser.add_argument("--keepalive", type=float, default=60.0, help="keepalive period, s")
    parser.add_argument("--expires", type=int, default=3600, help="registration expiry asked, s")
    parser.add_argument("--ramp", type=float, default=5.0, help="spread the first REGISTERs over s")
    parser.add_argument("--drop", action="append", default=[], help="a device id that drops out")
    parser.add_argument(
        "--drop-after", type=float, default=30.0, help="when the --drop devices go, s"
    )
    parser.add_argument("--duration", type=float, default=0.0, help="stop after s (0: until ^C)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from-db", action="store_true", help="the database's sip cameras")
    source.add_argument(
        "--json", help='[{"gb_id", "password", "kind": "ipc|nvr", "channels": [...]}]'
    )
    source.add_argument("--ids", help="comma-separated device ids (with --password)")
    parser.add_argument("--password", default="", help="the site password for --ids")
    args = parser.parse_args(argv)
    if args.from_db:
        devices = devices_from_db(args.cameras)
    elif args.json:
        devices = devices_from_json(args.json)[: args.cameras]
    elif args.ids:
        devices = [SimDevice(i.strip(), args.password) for i in args.ids.split(",") if i.strip()]
    else:
        n = args.cameras or 1
        devices = [SimDevice(f"44200000001327{i:06d}", args.password) for i in range(1, n + 1)]
    if not devices:
        print("no devices", file=sys.stderr)
        return 1
    host, _, port = args.server.rpartition(":")
    asyncio.run(_cli(devices, (host, int(port)), args))
    return 0


async def _cli(devices: list[SimDevice], server: tuple[str, int], args: argparse.Namespace) -> None:
    sim = Simulator(
        devices,
        server=server,
        transport=args.transport,
        keepalive=args.keepalive,
        expires=args.expires,
        ramp=args.ramp,
    )
    await sim.start()
    started = time.monotonic()
    dropped = False
    try:
        while not args.duration or time.monotonic() - started < args.duration:
            await asyncio.sleep(1)
            if args.drop and not dropped and time.monotonic() - started >= args.drop_after:
                dropped = True
                for gb_id in args.drop:
                    if gb_id in sim.devices:
                        sim.drop(gb_id)
                print(f"dropped {', '.join(args.drop)}", flush=True)
            if int(time.monotonic() - started) % 10 == 0:
                registered = sum(d.registered and not d.dropped for d in devices)
                keepalives = sum(d.keepalives for d in devices)
                print(
                    f"{registered}/{len(devices)} registered, {keepalives} keepalives", flush=True
                )
    except asyncio.CancelledError:
        pass
    finally:
        await sim.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
