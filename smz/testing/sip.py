"""SIP server fixtures shared by the video tests: a site with directly registering devices and its password,
a server on ephemeral ports with test-speed timers, and a simulator pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from smz.registry.models import Project
from smz.testing.video import entrance_with_camera, gb
from smz.video.models import Camera
from smz.video.services.cameras import camera_register, sip_password_set
from smz.video.simulator import Channel, SimDevice, Simulator
from smz.video.sip.message import SipMessage, parse, request
from smz.video.sip.server import Config, SipServer

SITE_PASSWORD = "Gate-pass-2026"  # noqa: S105 (a test site's password)


@dataclass
class SipSite:
    project: Project
    password: str
    cameras: list[Camera] = field(default_factory=list)
    nvr: Camera | None = None
    channels: list[Camera] = field(default_factory=list)

    def devices(self, *, password: str | None = None) -> list[SimDevice]:
        out = [SimDevice(c.gb_id, password or self.password) for c in self.cameras]
        if self.nvr is not None:
            out.append(
                SimDevice(
                    self.nvr.gb_id,
                    password or self.password,
                    kind="nvr",
                    channels=[Channel(c.gb_id, c.name) for c in self.channels],
                )
            )
        return out


def sip_site(actor: Any, project: Project, *, cameras: int = 2, nvr_channels: int = 0) -> SipSite:
    """A site with `cameras` IPCs at its east gate and, if asked, an NVR with that many known channels."""
    site = SipSite(project, sip_password_set(actor=actor, project=project, password=SITE_PASSWORD))
    for i in range(cameras):
        site.cameras.append(entrance_with_camera(actor, project, serial=100 + i)[1])
    if nvr_channels:
        site.nvr = camera_register(
            actor=actor, project=project, gb_id=gb("118", 500), name="录像机"
        )
        for i in range(nvr_channels):
            site.channels.append(
                camera_register(
                    actor=actor,
                    project=project,
                    gb_id=gb("131", 501 + i),
                    name=f"通道{i + 1}",
                    nvr=site.nvr,
                )
            )
    return site


def fast_config(**overrides: Any) -> Config:
    """Test-speed timers: keepalive 1 s, three missed = offline after 3 s, checks every 0.2 s."""
    values: dict[str, Any] = {
        "port": 0,
        "keepalive_seconds": 1,
        "missed": 3,
        "check_seconds": 0.2,
        "flush_seconds": 0.1,
        "expires_min": 1,
    }
    values.update(overrides)
    return Config.from_settings(**values)


@contextlib.asynccontextmanager
async def sip_server(**overrides: Any) -> AsyncIterator[SipServer]:
    server = SipServer(fast_config(**overrides))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def simulator(
    server: SipServer, devices: list[SimDevice], *, transport: str = "udp", **kw: Any
) -> AsyncIterator[Simulator]:
    port = server.tcp_port if transport == "tcp" else server.udp_port
    sim = Simulator(
        devices,
        server=("127.0.0.1", port),
        transport=transport,
        keepalive=kw.pop("keepalive", 0.5),
        **kw,
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


class RawUdp(asyncio.DatagramProtocol):
    """A bare UDP client for bad-input tests: send any bytes, read what comes back."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.inbox.put_nowait(data)

    @classmethod
    async def to(cls, port: int) -> RawUdp:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(cls, remote_addr=("127.0.0.1", port))
        return proto

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data)

    async def recv(self, timeout: float = 2.0) -> SipMessage | None:
        try:
            return parse(await asyncio.wait_for(self.inbox.get(), timeout))
        except TimeoutError:
            return None

    def close(self) -> None:
        if self.transport:
            self.transport.close()


def raw_request(
    method: str,
    gb_id: str,
    *,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    cseq: int = 1,
) -> bytes:
    """A device's request as bytes (From/To its id), for hand-made exchanges."""
    return request(
        method,
        "sip:44200000002000000001@4420000000",
        via="SIP/2.0/UDP 127.0.0.1:5060",
        from_=f"<sip:{gb_id}@4420000000>;tag=1",
        to=f"<sip:{gb_id}@4420000000>",
        call_id=f"raw-{gb_id}-{cseq}",
        cseq=cseq,
        headers=headers,
        body=body,
    ).to_bytes()
