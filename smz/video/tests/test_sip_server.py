"""The SIP server against the simulator on ephemeral ports (V1, V2): register, keepalive, timeout,
re-register, un-register, Catalog of an NVR, over UDP and TCP. Database work runs in the server's thread,
so these tests are transactional; assertions read through that same thread (server.db)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from smz.core.models import Event
from smz.testing.sip import SITE_PASSWORD, RawUdp, raw_request, simulator, sip_server, sip_site
from smz.testing.video import gb
from smz.video.models import Camera, CameraOnlineInterval, SipRefusal
from smz.video.services.cameras import camera_retire
from smz.video.simulator import Channel, SimDevice, devices_from_db
from smz.video.sip import digest, manscdp

pytestmark = pytest.mark.django_db(transaction=True)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def registered(sim, n: int) -> bool:
    return sum(d.registered for d in sim.devices.values()) == n


def online_ids() -> set[int]:
    return set(Camera.objects.filter(online=True).values_list("pk", flat=True))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_v2_register_keepalive_timeout_and_back(world, transport) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=2)
    a, b = site.cameras

    async def scenario() -> None:
        async with (
            sip_server() as server,
            simulator(server, site.devices(), transport=transport) as sim,
        ):
            await until(lambda: registered(sim, 2))
            await until(lambda: server.db(lambda: online_ids() == {a.pk, b.pk}))
            assert all(d.registers == 1 for d in sim.devices.values())
            cam = await server.db(Camera.objects.get, pk=a.pk)
            assert cam.sip_transport == transport.upper() and cam.registered_until is not None
            # A drops out: three missed 1 s keepalives later it is offline, its interval ending at its
            # last keepalive; B stays.
            sim.drop(a.gb_id)
            dropped_at = time.time()
            await until(lambda: server.db(lambda: online_ids() == {b.pk}))
            assert (
                time.time() - dropped_at >= 2.0
            )  # not before three periods (less the last one's age)
            interval = await server.db(CameraOnlineInterval.objects.get, camera_id=a.pk)
            cam = await server.db(Camera.objects.get, pk=a.pk)
            assert interval.ended_at == cam.last_keepalive_at
            assert interval.end_reason == CameraOnlineInterval.EndReason.KEEPALIVE_TIMEOUT
            # It comes back: a keepalive alone is enough while its registration holds.
            sim.devices[a.gb_id].dropped = False
            sim.devices[a.gb_id].task = asyncio.create_task(sim._run(sim.devices[a.gb_id], 0))
            await until(lambda: server.db(lambda: online_ids() == {a.pk, b.pk}))
            n = await server.db(lambda: CameraOnlineInterval.objects.filter(camera_id=a.pk).count())
            assert n == 2
            assert await server.db(SipRefusal.objects.count) == 0

    asyncio.run(scenario())


def test_v2_nvr_catalog_creates_channels_and_applies_off(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=0, nvr_channels=2)
    (nvr_device,) = site.devices()
    nvr_device.channels[1].status = "OFF"
    nvr_device.channels.append(Channel(gb("131", 600), "新增通道"))
    nvr_device.channels.append(
        Channel("44010000001310000001", "外市通道")
    )  # not the city's: left out
    first, second = site.channels

    def created() -> Camera | None:
        return Camera.objects.filter(gb_id=gb("131", 600)).first()

    async def scenario() -> None:
        async with (
            sip_server() as server,
            simulator(server, [nvr_device], catalog_chunk=1) as sim,
        ):
            await until(lambda: registered(sim, 1))
            await until(lambda: server.db(lambda: created() is not None))
            await until(
                lambda: server.db(lambda: Camera.objects.get(pk=site.nvr.pk).firmware != "")
            )
            new = await server.db(created)
            assert new.nvr_id == site.nvr.pk and new.entrance_id is None and new.name == "新增通道"
            assert new.source == Camera.Source.SIP and new.online
            event = await server.db(Event.objects.get, kind="camera.discovered", subject_id=new.pk)
            assert event.actor_id is None
            states = await server.db(
                lambda: dict(Camera.objects.filter(nvr=site.nvr).values_list("gb_id", "online"))
            )
            assert states == {first.gb_id: True, second.gb_id: False, new.gb_id: True}
            assert not await server.db(
                lambda: Camera.objects.filter(gb_id="44010000001310000001").exists()
            )
            nvr = await server.db(Camera.objects.get, pk=site.nvr.pk)
            assert (nvr.maker, nvr.model_name, nvr.firmware) == (
                "Hikvision",
                "DS-2CD3T46WDV3-I3",
                "V5.7.3",
            )
            assert sim.devices[nvr_device.gb_id].queries == 2  # Catalog and DeviceInfo, once

    asyncio.run(scenario())


def test_v2_reregister_before_expiry_then_unregister(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=1)
    (camera,) = site.cameras

    async def scenario() -> None:
        async with sip_server() as server, simulator(server, site.devices(), expires=2) as sim:
            dev = sim.devices[camera.gb_id]
            await until(
                lambda: _true(dev.registers >= 3)
            )  # re-registered twice within 2 s expiries
            assert await server.db(lambda: online_ids() == {camera.pk})
            assert dev.queries == 2  # a refresh from the same address asks nothing again
            count = await server.db(
                lambda: CameraOnlineInterval.objects.filter(camera_id=camera.pk).count()
            )
            assert count == 1
            assert await sim.unregister(camera.gb_id) == 200
            await until(lambda: server.db(lambda: online_ids() == set()))
            interval = await server.db(CameraOnlineInterval.objects.get, camera_id=camera.pk)
            assert interval.end_reason == CameraOnlineInterval.EndReason.UNREGISTERED
            # A keepalive after un-registering is refused: the device must register again.
            assert await sim.keepalive_once(dev) == 403
            assert await server.db(lambda: online_ids() == set())

    asyncio.run(scenario())


async def _true(value: bool) -> bool:
    return value


def test_v2_wrong_password_unknown_and_retired_ids_are_refused_once_each(world) -> None:
    actor = world.user("gc_labor")
    site = sip_site(actor, world.projects["p1"], cameras=2)
    a, b = site.cameras
    camera_retire(actor=actor, camera=b)
    devices = [
        SimDevice(a.gb_id, "Wrong-pass-1"),
        SimDevice(gb("132", 999), SITE_PASSWORD),  # unknown
        SimDevice(b.gb_id, SITE_PASSWORD),  # retired
    ]

    async def scenario() -> None:
        async with sip_server() as server, simulator(server, devices, autorun=False) as sim:
            for _ in range(3):
                statuses = [await sim.register(d) for d in devices]
                assert statuses == [403, 404, 403]
            await asyncio.sleep(0.3)  # a flush
            rows = await server.db(lambda: sorted(SipRefusal.objects.values_list("gb_id", "code")))
            assert rows == sorted(
                [
                    (a.gb_id, "video.sip_bad_password"),
                    (gb("132", 999), "video.sip_unknown_id"),
                    (b.gb_id, "video.sip_retired"),
                ]
            )
            assert await server.db(lambda: online_ids() == set())
            assert not await server.db(CameraOnlineInterval.objects.exists)
            # The right password still works afterwards.
            devices[0].password = SITE_PASSWORD
            assert await sim.register(devices[0]) == 200

    asyncio.run(scenario())


def test_v2_bad_input_is_answered_and_never_stops_the_server(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=1)
    (camera,) = site.cameras
    gid = camera.gb_id
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<Notify><CmdType>Keepalive</CmdType><DeviceID>&b;</DeviceID></Notify>"
    )
    cases: list[tuple[bytes, int | None]] = [
        (b"\x00\xff" * 100, None),  # garbage: nothing to answer
        (b"\r\n\r\n", None),  # a CRLF ping
        (raw_request("REGISTER", gid).replace(b"Call-ID", b"X-Call"), None),  # no Call-ID
        (raw_request("REGISTER", gid).replace(b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE"), 400),
        (raw_request("REGISTER", gid, headers=[("Expires", "soon")]), 400),
        (raw_request("REGISTER", gid, headers=[("Expires", "0")]), 401),  # un-register: auth first
        (raw_request("MESSAGE", gid, body=b"x" * 40_000), 413),
        (raw_request("MESSAGE", gid, body=bomb), 400),
        (raw_request("MESSAGE", gid, body=b"\xb6\xab\xc3\xc5 not xml"), 400),
        (raw_request("MESSAGE", gid, body=manscdp.keepalive(1, gid)), 403),  # not registered
        (raw_request("INVITE", gid), 405),
        (raw_request("REGISTER", "4420"), 404),
        (raw_request("OPTIONS", gid), 200),
    ]

    async def scenario() -> None:
        async with sip_server() as server:
            raw = await RawUdp.to(server.udp_port)
            try:
                for data, status in cases:
                    raw.send(data)
                    answer = await raw.recv(timeout=0.5 if status is None else 2.0)
                    assert (answer.status if answer else None) == status, data[:60]
            finally:
                raw.close()
            async with simulator(server, site.devices()) as sim:
                await until(lambda: registered(sim, 1))
                await until(lambda: server.db(lambda: online_ids() == {camera.pk}))
            codes = {
                "video.sip_malformed",
                "video.sip_bad_request",
                "video.sip_too_large",
                "video.sip_not_registered",
                "video.sip_unknown_id",
            }
            # Refusals are written by the next flush (0.1 s here), one per host and code.
            await until(
                lambda: server.db(
                    lambda: (
                        sorted(SipRefusal.objects.values_list("code", flat=True)) == sorted(codes)
                    )
                )
            )
            assert await server.db(lambda: Camera.objects.count()) == 1

    asyncio.run(scenario())


def test_v2_a_flood_is_answered_503_once_a_second_and_then_served(world) -> None:
    async def scenario() -> None:
        async with sip_server(rate_per_second=20, burst=20) as server:
            raw = await RawUdp.to(server.udp_port)
            try:
                for i in range(300):
                    raw.send(raw_request("OPTIONS", gb("132", 1), cseq=i + 1))
                answers = []
                while (answer := await raw.recv(timeout=0.5)) is not None:
                    answers.append(answer)
                statuses = [a.status for a in answers]
                assert 15 <= statuses.count(200) <= 40
                assert statuses.count(503) == 1  # at most one 503 a second per host
                busy = next(a for a in answers if a.status == 503)
                assert busy.header("Retry-After") == "5"
                # (the kernel may drop part of the burst before the server reads it)
                assert server.stats.dropped_flood >= server.stats.received - 41 > 50
                await asyncio.sleep(1.0)
                raw.send(raw_request("OPTIONS", gb("132", 1), cseq=999))
                answer = await raw.recv()
                assert answer is not None and answer.status == 200
            finally:
                raw.close()
            await asyncio.sleep(0.3)
            rows = await server.db(lambda: list(SipRefusal.objects.values_list("code", flat=True)))
            assert rows == ["video.sip_rate_limited"]

    asyncio.run(scenario())


def test_v2_tcp_framing_refuses_oversize_and_survives_garbage(world) -> None:
    async def scenario() -> None:
        async with sip_server() as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.tcp_port)
            head = raw_request("MESSAGE", gb("132", 1)).split(b"Content-Length")[0]
            writer.write(head + b"Content-Length: 99999999\r\n\r\n")
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
            assert answer.startswith(b"SIP/2.0 413")
            assert await asyncio.wait_for(reader.read(), 2) == b""  # and the connection is closed
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", server.tcp_port)
            writer.write(b"hello there\r\n\r\n\r\n")
            writer.write(raw_request("OPTIONS", gb("132", 1)))
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
            assert answer.startswith(b"SIP/2.0 200")
            writer.write(b"X" * 10_000)  # a header block that never ends
            assert await asyncio.wait_for(reader.read(), 2) == b""
            writer.close()
            # The server still serves TCP.
            reader, writer = await asyncio.open_connection("127.0.0.1", server.tcp_port)
            writer.write(raw_request("OPTIONS", gb("132", 1)))
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
            assert answer.startswith(b"SIP/2.0 200")
            writer.close()

    asyncio.run(scenario())


def test_v2_simulator_reads_devices_from_the_database(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=1, nvr_channels=2)
    Camera.objects.create(  # a platform camera is not the SIP server's
        project=site.project, gb_id=gb("132", 900), kind="132", name="平台", source="platform"
    )
    devices = {d.gb_id: d for d in devices_from_db(None)}
    assert set(devices) == {site.cameras[0].gb_id, site.nvr.gb_id}
    assert devices[site.nvr.gb_id].kind == "nvr"
    assert {c.gb_id for c in devices[site.nvr.gb_id].channels} == {c.gb_id for c in site.channels}
    assert all(d.password == SITE_PASSWORD for d in devices.values())


def test_v2_an_expired_registration_goes_offline_and_a_restart_keeps_valid_ones(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=2)
    short, long = site.cameras

    async def scenario() -> None:
        async with sip_server() as server, simulator(server, site.devices(), autorun=False) as sim:
            assert await sim.register(sim.devices[short.gb_id], expires=1) == 200
            assert await sim.register(sim.devices[long.gb_id], expires=600) == 200
            await until(lambda: server.db(lambda: online_ids() == {short.pk, long.pk}))
            # `short` keeps alive but lets its registration run out: offline, reason 注册过期.
            for _ in range(6):
                await sim.keepalive_once(sim.devices[short.gb_id])
                await sim.keepalive_once(sim.devices[long.gb_id])
                await asyncio.sleep(0.3)
            await until(lambda: server.db(lambda: online_ids() == {long.pk}))
            interval = await server.db(CameraOnlineInterval.objects.get, camera_id=short.pk)
            assert interval.end_reason == CameraOnlineInterval.EndReason.EXPIRED
        # A new server process: the valid registration is kept, so a keepalive is enough. It binds
        # fresh ephemeral ports: reusing the old UDP number for TCP collided with another socket's
        # ephemeral port in CI (errno 98); the kept registrations come from the database, not the port.
        async with sip_server() as again, simulator(again, [], autorun=False) as _:
            assert long.gb_id in again.registrations
            assert short.gb_id not in again.registrations

    asyncio.run(scenario())


def test_v2_refusal_logs_carry_no_secret(world, caplog) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=1)
    (device,) = site.devices(password="Wrong-pass-1")

    async def scenario() -> None:
        async with sip_server() as server, simulator(server, [device], autorun=False) as sim:
            assert await sim.register(device) == 403

    with caplog.at_level("DEBUG", logger="smz.video.sip"):
        asyncio.run(scenario())
    text = caplog.text
    assert "video.sip_bad_password" in text and device.gb_id in text
    assert SITE_PASSWORD not in text and "Wrong-pass-1" not in text and "response=" not in text


def test_v2_stale_nonces_are_challenged_again_and_qop_auth_works(world) -> None:
    site = sip_site(world.user("gc_labor"), world.projects["p1"], cameras=1)
    (camera,) = site.cameras

    async def scenario() -> None:
        async with sip_server(offer_qop=True) as server:
            key, realm = server.config.nonce_key, server.config.realm
            old = digest.nonce_new(key, realm, now=time.time() - 400)
            auth = digest.authorization(
                username=camera.gb_id,
                realm=realm,
                password=SITE_PASSWORD,
                method="REGISTER",
                uri="sip:44200000002000000001@4420000000",
                nonce=old,
            )
            raw = await RawUdp.to(server.udp_port)
            try:
                raw.send(raw_request("REGISTER", camera.gb_id, headers=[("Authorization", auth)]))
                answer = await raw.recv()
            finally:
                raw.close()
            assert answer is not None and answer.status == 401
            challenge = answer.header("WWW-Authenticate") or ""
            assert "stale=TRUE" in challenge and 'qop="auth"' in challenge
            assert not await server.db(lambda: online_ids())
            # The simulator answers the offered qop=auth: accepted.
            async with simulator(server, site.devices(), autorun=False) as sim:
                assert await sim.register(sim.devices[camera.gb_id]) == 200
            assert await server.db(lambda: online_ids() == {camera.pk})

    asyncio.run(scenario())
