"""The SIP server against the simulator on ephemeral ports (V1, V2): register, keepalive, timeout,
re-register, un-register, Catalog of an NVR, over UDP and TCP. Database work runs in the server's thread,
so these tests are transactional; assertions read through that same thread (server.db)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from smz.testing.sip import simulator, sip_server, sip_site
from smz.video.models import Camera, CameraOnlineInterval, SipRefusal

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
