"""The device simulator (issue 4, item 8) over real HTTP against the live server: device-direct gates and
ZKTeco terminals end to end (D2, D3, X7, N3, A3), and its plan and snapshots on their own."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from PIL import Image

from smz.attendance.models import DailyAttendance, IngestBatch, PassRecord
from smz.devices.models import Device, DeviceCommand, DeviceRejection
from smz.devices.services import device_command_queue, device_register
from smz.terminals.simulator import plan, snapshots
from smz.terminals.simulator.__main__ import main
from smz.terminals.simulator.direct_client import DirectGate
from smz.terminals.simulator.plan import Pass, Person, Upload
from smz.terminals.simulator.run import ZKTECO, DeviceSpec, Options, simulate
from smz.terminals.simulator.wire import Http, Tally
from smz.terminals.simulator.zkteco_client import ZKTerminal

NOW = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)  # 11:30 in Zhongshan, a Wednesday


@pytest.fixture(autouse=True)
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def live_world(transactional_db, world):
    """The world committed, so the live server's threads see it (see tests/browser/conftest.py)."""
    assert not connection.in_atomic_block
    return world


@pytest.fixture
def gate(live_world) -> tuple[Device, str]:
    return device_register(
        actor=live_world.user("gc_labor"),
        project=live_world.projects["p1"],
        serial="SIM-T-GATE",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="东门",
    )


@pytest.fixture
def zk(live_world) -> Device:
    device, _ = device_register(
        actor=live_world.user("gc_labor"),
        project=live_world.projects["p1"],
        serial="SIM-T-ZK",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.ZKTECO_PUSH,
        entrance="北门",
    )
    device_command_queue(actor=live_world.user("gc_labor"), device=device, kind="sync_people")
    return device


def on_p1(world) -> set[int]:
    return {world.workers[k].pk for k in ("gc", "sub", "pm")}


# ---- end to end over HTTP --------------------------------------------------------------------------


def test_simulated_days_arrive_over_http(live_world, gate, zk, live_server, immediate_tasks):
    device, secret = gate
    tally, _ = simulate(
        [
            DeviceSpec(device.serial, secret=secret, skew_seconds=95),
            DeviceSpec(zk.serial, protocol=ZKTECO, skew_seconds=0),
        ],
        # One device at a time: the live server shares one in-memory SQLite connection between threads.
        Options(base_url=live_server.url, days=4, bad_signatures=1, replays=1, threads=1),
    )
    assert tally.devices == 2 and tally.people == 6 and tally.planned > 0

    stored = PassRecord.objects.filter(device=device)
    assert stored.count() == tally.statuses["accepted"] > 0
    assert tally.statuses["rejected"] == 0
    assert tally.statuses["duplicate"] == tally.resent  # only resent records come back duplicate
    assert not stored.filter(valid=False).exists() and not stored.filter(snapshot="").exists()
    assert {p.worker_id for p in stored} <= on_p1(live_world)
    # Every batch stored once, the replayed one included; its answer was the same.
    assert tally.replays == tally.replays_same == 1
    assert IngestBatch.objects.filter(device=device).count() == len(
        set(IngestBatch.objects.filter(device=device).values_list("batch_id", flat=True))
    )
    assert tally.bad_signatures_sent == 1
    assert tally.refusals == {"device.bad_signature": 1}
    assert DeviceRejection.objects.filter(device=device, code="device.bad_signature").count() == 1
    device.refresh_from_db()
    assert abs(device.clock_offset_ms - 95_000) < 5_000

    zk_stored = PassRecord.objects.filter(device=zk)
    assert zk_stored.count() == tally.zk_lines - tally.zk_resent > 0
    assert not zk_stored.filter(snapshot="").exists()
    assert DeviceCommand.objects.get(device=zk).status == DeviceCommand.Status.DONE
    assert DailyAttendance.objects.filter(project=live_world.projects["p1"], attended=True).exists()


def test_gate_catch_up_resends_as_duplicates_and_replay_gets_same_answers(
    live_world, gate, live_server
):
    device, secret = gate
    tally = Tally()
    g = DirectGate(
        Http(live_server.url), device.serial, secret, skew=0, rng=random.Random(1), tally=tally
    )
    g.heartbeat()
    g.download_people()
    assert set(g.roster) == on_p1(live_world)
    gc, sub = live_world.workers["gc"].pk, live_world.workers["sub"].pk
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    first = [Pass(gc, t0, "in"), Pass(sub, t0 + dt.timedelta(minutes=1), "in")]
    later = [Pass(gc, t0 + dt.timedelta(hours=2), "out")]
    g.run(
        [Upload(t0 + dt.timedelta(minutes=5), first), Upload(t0, later, catch_up=True)],
        bad={1},
        replays={0},
    )
    assert tally.statuses == {"accepted": 3, "duplicate": 2}
    assert tally.resent == 2
    assert tally.replays == tally.replays_same == 1
    assert tally.refusals == {"device.bad_signature": 1}
    assert PassRecord.objects.filter(device=device).count() == 3
    assert IngestBatch.objects.filter(device=device).count() == 2


def test_gate_clock_beyond_the_window_is_refused(gate, live_server):
    device, secret = gate
    tally = Tally()
    g = DirectGate(
        Http(live_server.url), device.serial, secret, skew=400, rng=random.Random(1), tally=tally
    )
    g.heartbeat()
    assert tally.refusals == {"device.stale_timestamp": 1}
    assert g.measured_ms is None


def test_zkteco_terminal_learns_pins_and_uploads_punches_with_photos(
    live_world, zk, live_server, immediate_tasks
):
    tally = Tally()
    t = ZKTerminal(Http(live_server.url), zk.serial, skew=-40, tally=tally)
    assert t.handshake()
    t.poll()
    assert set(t.roster) == on_p1(live_world)
    assert DeviceCommand.objects.get(device=zk).status == DeviceCommand.Status.DONE
    gc, sub = live_world.workers["gc"].pk, live_world.workers["sub"].pk
    now = timezone.now().replace(microsecond=0)
    t0 = now - dt.timedelta(hours=5)
    t.run(
        [
            Upload(t0, [Pass(gc, t0, "in")]),
            Upload(
                t0 + dt.timedelta(hours=2),
                [Pass(sub, t0 + dt.timedelta(hours=1), "out")],
                catch_up=True,
            ),
        ],
        now=now,
    )
    assert tally.zk_lines == 3 and tally.zk_resent == 1 and tally.zk_stored == 3
    stored = PassRecord.objects.filter(device=zk).order_by("event_time")
    assert [(p.worker_id, p.direction) for p in stored] == [(gc, "in"), (sub, "out")]
    # The terminal's clock runs 40 s behind: the platform stores what the terminal wrote down.
    assert stored[0].event_time == t0 - dt.timedelta(seconds=40)
    assert all(p.snapshot and p.snapshot_width == snapshots.SIZE[0] for p in stored)
    assert DailyAttendance.objects.filter(worker=gc, attended=True).exists()


def test_cli_plays_a_gate_and_prints_the_summary(gate, live_server, capsys):
    device, secret = gate
    code = main(
        [
            "--base-url",
            live_server.url,
            "--device",
            f"{device.serial}:{secret}",
            "--days",
            "2",
            "--threads",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "设备             1 台（名单上共 3 人）" in out
    assert f"时钟 {device.serial}" in out and "用时" in out
    assert PassRecord.objects.filter(device=device).count() > 0 or "模拟通行         0 次" in out


def test_cli_without_devices_secret_or_server_stops(capsys, monkeypatch):
    assert main(["--base-url", "http://127.0.0.1:9"]) == 2
    with pytest.raises(SystemExit):
        main(["--device", "NO-SECRET"])
    monkeypatch.setenv("SMZ_SIM_SECRET_GATE_P9_01", "from-env")
    assert main(["--base-url", "http://127.0.0.1:9", "--device", "GATE-P9-01"]) == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_demo_week_command_registers_devices_runs_tasks_and_skips_when_filled(live_world, capsys):
    call_command("simulate_demo_week", if_empty=True)
    assert (
        "没有演示城市的项目" in capsys.readouterr().out
    )  # make run on a database that is not the demo
    assert not Device.objects.exists()

    call_command("simulate_demo_week", projects=1, zkteco=1, days=2, people=0, threads=1)
    gate = Device.objects.get(serial=f"SIM-{live_world.projects['p1'].code[-5:]}-GATE1")
    terminal = Device.objects.get(serial=f"SIM-{live_world.projects['p2'].code[-5:]}-ZK1")
    assert gate.protocol == Device.Protocol.DIRECT_V1
    assert terminal.protocol == Device.Protocol.ZKTECO_PUSH
    count = PassRecord.objects.count()
    assert PassRecord.objects.filter(device=gate).exists()
    # The queued recompute ran (db_worker --batch): every stored (person, day) has its daily row.
    days = set(PassRecord.objects.values_list("project", "worker", "work_date"))
    assert days == set(DailyAttendance.objects.values_list("project", "worker", "work_date"))
    capsys.readouterr()
    call_command("simulate_demo_week", projects=1, zkteco=1, days=2, if_empty=True)
    assert "已有通行记录" in capsys.readouterr().out
    assert PassRecord.objects.count() == count


# ---- the plan and the snapshots -----------------------------------------------------------------------


def test_day_shape_morning_peak_evening_exit():
    rng = random.Random(7)
    monday = dt.date(2026, 11, 23)
    days = [plan.person_day(rng, Person(n), monday) for n in range(400)]
    present = [d for d in days if d]
    assert 0.85 < len(present) / len(days) < 0.99
    local = [[p.at.astimezone(plan.SITE_TZ) for p in d] for d in present]
    arrivals = [d[0] for d in local]
    assert all(5 <= a.hour < 11 for a in arrivals)
    assert sum(6 <= a.hour < 8 for a in arrivals) / len(arrivals) > 0.8  # the morning peak
    for d, times in zip(present, local, strict=True):
        assert [p.direction for p in d][:1] == ["in"] and times == sorted(times)
        assert all(a.direction != b.direction for a, b in itertools.pairwise(d))  # in, out, in, out
    exits = [t[-1] for d, t in zip(present, local, strict=True) if d[-1].direction == "out"]
    assert sum(16 <= e.hour < 19 for e in exits) / len(exits) > 0.8
    sunday = [plan.person_day(rng, Person(n), dt.date(2026, 11, 22)) for n in range(400)]
    assert sum(1 for d in sunday if d) < len(present) / 2
    assert plan.person_day(rng, Person(1, since=monday + dt.timedelta(days=1)), monday) == []


def test_outages_and_uploads_cover_every_pass_once():
    rng = random.Random(3)
    people = [Person(n) for n in range(30)]
    passes = plan.passes_for(people, days=7, now=NOW, rng=rng)
    assert passes and all(p.at <= NOW - dt.timedelta(minutes=1) for p in passes)
    outages = plan.outages_for(count=3, days=7, now=NOW, rng=rng)
    assert len(outages) == 3
    for a, b in itertools.pairwise(outages):
        assert a.end <= b.start
    assert all(o.end <= NOW - dt.timedelta(hours=1) for o in outages)
    uploads = plan.uploads_for(passes, outages, every=dt.timedelta(minutes=30), now=NOW)
    sent = [p for u in uploads for p in u.passes]
    assert sorted(sent, key=lambda p: (p.at, p.person_id)) == passes
    for u in uploads:
        assert u.at <= NOW and all(p.at <= u.at for p in u.passes)
        inside = [any(o.covers(p.at) for o in outages) for p in u.passes]
        assert all(inside) if u.catch_up else not any(inside)
    assert any(u.catch_up for u in uploads)


def test_snapshots_are_cached_valid_jpegs_of_a_face():
    jpegs = [snapshots.variant(n) for n in range(snapshots.VARIANTS)]
    assert len(set(jpegs)) == snapshots.VARIANTS
    assert snapshots.variant(3) is snapshots.variant(3)
    for data in jpegs:
        assert len(data) < 60 * 1024
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG" and img.size == snapshots.SIZE
            assert img.size >= (320, 240)
    faces = pytest.importorskip("smz.core.faces")
    assert all(faces.faces_in_jpeg(data) >= 1 for data in jpegs)


def test_demo_devices_are_online_after_make_run(live_world, capsys):
    """Issue 11 item 7: the seed steps after the demo week outlast the 在线 window; the devices then
    heartbeat for real (demo_heartbeat, make run's last step) and the device list shows them 在线."""
    from smz.devices.selectors import device_is_online

    call_command("simulate_demo_week", projects=1, zkteco=1, days=1, people=3, threads=1)
    devices = list(Device.objects.filter(serial__startswith="SIM-"))
    assert len(devices) == 2
    # seed_workflows and seed_labor run after the week: minutes without a heartbeat.
    Device.objects.update(last_heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
    assert not any(device_is_online(d) for d in Device.objects.all())

    call_command("demo_heartbeat")
    assert "2/2 台已应答" in capsys.readouterr().out
    for device in Device.objects.filter(serial__startswith="SIM-"):
        assert device_is_online(device), device.serial
        assert timezone.now() - device.last_heartbeat_at < dt.timedelta(seconds=30)
    gate = Device.objects.get(protocol=Device.Protocol.DIRECT_V1)
    # The gate's heartbeat carries its simulated clock: the offset is measured, not invented.
    assert gate.clock_offset_ms is not None
