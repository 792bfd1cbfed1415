"""Run simulated devices against a base URL, one thread per device, and add up what they saw."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from smz.terminals.simulator import plan
from smz.terminals.simulator.direct_client import DirectGate
from smz.terminals.simulator.wire import Http, Tally
from smz.terminals.simulator.zkteco_client import ZKTerminal

DIRECT, ZKTECO = "direct_v1", "zkteco_push"
# Clock skews to draw from, in seconds: most clocks are right, some drift by seconds or minutes
# (all inside the ±300 s signing window, so requests are still accepted).
SKEWS = (0, 0, 0, 4, -9, 37, -95, 160, -230)


@dataclass(frozen=True)
class DeviceSpec:
    serial: str
    protocol: str = DIRECT
    secret: str = ""  # device-direct only
    skew_seconds: int | None = None  # None: drawn from the seed
    since: dict[int, dt.date] = field(default_factory=dict)  # person → first day on site, if known
    keep: frozenset[int] = frozenset()  # people always played when the roster is sampled


@dataclass(frozen=True)
class Options:
    base_url: str
    days: int = 7
    seed: int = 2026
    upload_every_minutes: int = 15
    outages: int = 1  # per device
    bad_signatures: int = 1  # per device-direct gate
    replays: int = 2  # batches re-sent with the same batch_id, per gate
    max_people: int | None = None  # per device: a sample of its roster
    threads: int = 4
    now: dt.datetime | None = None


def simulate(
    devices: list[DeviceSpec], options: Options, log: Callable[[str], None] = print
) -> tuple[Tally, float]:
    """Run every device over the last `options.days` days; return the summed tally and seconds taken."""
    started = time.perf_counter()
    now = options.now or dt.datetime.now(dt.UTC)
    total = Tally()
    with ThreadPoolExecutor(max_workers=max(1, options.threads)) as pool:
        futures = [pool.submit(_device_run, spec, options, now) for spec in devices]
        for spec, future in zip(devices, futures, strict=True):
            tally = future.result()
            log(
                f"  {spec.serial}：{tally.people} 人，通行 {tally.planned} 次，"
                f"请求 {tally.requests} 次"
            )
            total += tally
    return total, time.perf_counter() - started


def _rng_and_skew(spec: DeviceSpec, seed: int) -> tuple[random.Random, int]:
    """The device's random stream and clock skew: the same seed gives a device the same clock."""
    rng = random.Random(f"{seed}-{spec.serial}")  # noqa: S311 - simulated traffic
    skew = spec.skew_seconds if spec.skew_seconds is not None else rng.choice(SKEWS)
    return rng, skew


def heartbeat_once(spec: DeviceSpec, *, base_url: str, seed: int) -> bool:
    """One heartbeat now (device-direct heartbeat, ZKTeco getrequest), commands carried out; True if answered."""
    rng, skew = _rng_and_skew(spec, seed)
    http, tally = Http(base_url), Tally(devices=1)
    if spec.protocol == ZKTECO:
        device = ZKTerminal(http, spec.serial, skew=skew, tally=tally)
        device.poll()
    else:
        gate = DirectGate(http, spec.serial, spec.secret, skew=skew, rng=rng, tally=tally)
        gate.heartbeat()
    return not tally.refusals


def _device_run(spec: DeviceSpec, options: Options, now: dt.datetime) -> Tally:
    rng, skew = _rng_and_skew(spec, options.seed)
    http = Http(options.base_url)
    tally = Tally(devices=1)
    device: DirectGate | ZKTerminal
    if spec.protocol == ZKTECO:
        device = ZKTerminal(http, spec.serial, skew=skew, tally=tally)
        if device.handshake():
            device.poll()
    else:
        device = DirectGate(http, spec.serial, spec.secret, skew=skew, rng=rng, tally=tally)
        device.heartbeat()
        device.download_people()
    people = [
        plan.Person(p.person_id, p.role, spec.since.get(p.person_id))
        for p in sorted(device.roster.values(), key=lambda p: p.person_id)
    ]
    if options.max_people is not None and len(people) > options.max_people:
        first = [p for p in people if p.person_id in spec.keep]
        rest = [p for p in people if p not in first]
        room = max(0, options.max_people - len(first))
        people = sorted(first + rng.sample(rest, min(room, len(rest))), key=lambda p: p.person_id)
    passes = plan.passes_for(people, days=options.days, now=now, rng=rng)
    outages = plan.outages_for(count=options.outages, days=options.days, now=now, rng=rng)
    every = dt.timedelta(minutes=options.upload_every_minutes)
    # ZKTeco terminals are replayed without real-time single lines (see ZKTerminal.run).
    realtime = dt.timedelta(0) if spec.protocol == ZKTECO else dt.timedelta(hours=1)
    uploads = plan.uploads_for(passes, outages, every=every, now=now, realtime=realtime)
    tally.people, tally.planned = len(people), len(passes)
    if isinstance(device, ZKTerminal):
        device.run(uploads, now=now)
        tally.clocks.append((spec.serial, skew, None))
    else:
        count = len(uploads)
        bad = set(rng.sample(range(count), min(options.bad_signatures, count)))
        replays = set(rng.sample(range(count), min(options.replays, count)))
        device.run(uploads, bad=bad, replays=replays)
        device.heartbeat()
        tally.clocks.append((spec.serial, skew, device.measured_ms))
    tally.requests, tally.bytes_sent = http.requests, http.bytes_sent
    return tally
