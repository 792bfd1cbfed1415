"""ZKTeco PUSH adapter (/iclock/): handshake, refusals, ATTLOG/ATTPHOTO ingest, commands (D2, D3, N3)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from smz.attendance.models import DailyAttendance, LateSnapshot, PassRecord, SnapshotCheck
from smz.devices.models import Device, DeviceRejection, ZKTecoPhoto
from smz.devices.services import (
    device_command_queue,
    device_retire,
    zkteco_people_sync,
)
from smz.registry.services import employment_exit
from smz.terminals.zkteco import _packed
from smz.testing.devices import jpeg, terminal_in_service

pytestmark = pytest.mark.django_db

SN = "ZK-P1-01"
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def memory_storage(settings):
    """Snapshots and face photos stay in memory, not under var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def zk(world) -> Device:
    return terminal_in_service(world, serial=SN)


def local(minutes_ago: int) -> dt.datetime:
    """A device-local wall-clock time, as the terminal prints it (no zone)."""
    return (
        (timezone.now() - dt.timedelta(minutes=minutes_ago))
        .astimezone(CST)
        .replace(microsecond=0, tzinfo=None)
    )


def line(pin: int | str, when: dt.datetime, status: int = 0, verify: int = 15) -> str:
    return f"{pin}\t{when:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0"


def post(client, query: str, body: bytes | str):
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", f"/iclock/cdata?SN={SN}&{query}", data, content_type="text/plain")


def test_handshake_answers_options_with_stamps(zk, client):
    r = client.get(f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=83")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    text = r.content.decode()
    assert text.startswith(f"GET OPTION FROM: {SN}\n")
    for option in [
        "ATTLOGStamp=0",
        "OPERLOGStamp=0",
        "ATTPHOTOStamp=0",
        "ErrorDelay=30",
        "Delay=10",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        "TransFlag=TransData AttLog OpLog AttPhoto EnrollUser ChgUser FACE UserPic",
        "TimeZone=8",
        "Realtime=1",
        "Encrypt=None",
    ]:
        assert option in text.splitlines()
    zk.refresh_from_db()
    assert zk.last_heartbeat_at is not None and zk.firmware == "PUSH 2.4.1"

    # After an upload the handshake tells the device where to resume.
    assert post(client, "table=ATTLOG&Stamp=9999", "").content == b"OK: 0"
    r = client.get(f"/iclock/cdata?SN={SN}&options=all")
    assert "ATTLOGStamp=9999" in r.content.decode().splitlines()


def test_unknown_retired_and_wrong_protocol_devices_are_refused(world, zk, client, gate):
    r = client.get("/iclock/cdata?SN=NOT-REGISTERED&options=all")
    assert r.status_code == 401 and r.content == b"ERROR: device.unknown"
    assert DeviceRejection.objects.filter(serial="NOT-REGISTERED", code="device.unknown").exists()
    # Polling every few seconds is logged once a minute, not once a poll.
    client.get("/iclock/getrequest?SN=NOT-REGISTERED")
    assert DeviceRejection.objects.filter(serial="NOT-REGISTERED").count() == 1

    r = client.get(f"/iclock/getrequest?SN={gate.device.serial}")
    assert r.status_code == 403 and r.content == b"ERROR: device.wrong_protocol"

    device_retire(actor=world.user("gc_labor"), device=zk)
    r = post(client, "table=ATTLOG", line(world.workers["gc"].pk, local(5)))
    assert r.status_code == 403 and r.content == b"ERROR: device.retired"
    assert DeviceRejection.objects.filter(device=zk, code="device.retired").exists()
    assert not PassRecord.objects.exists()


def test_attlog_stores_good_lines_counts_bad_ones_and_deduplicates(world, zk, client):
    gc, sub = world.workers["gc"].pk, world.workers["sub"].pk
    t30, t20, t10 = local(30), local(20), local(10)
    body = "\r\n".join(
        [
            line(gc, t30, status=0, verify=15),
            "garbage without tabs",
            line(sub, t20, status=1, verify=1),
            line(gc, t10, status=1, verify=4),
        ]
    )
    r = post(client, "table=ATTLOG&Stamp=100", body)
    assert r.status_code == 200 and r.content == b"OK: 3"
    passes = {p.device_record_id: p for p in PassRecord.objects.all()}
    assert len(passes) == 3
    first = passes[f"{gc}-{t30:%Y%m%d%H%M%S}-0"]
    assert first.direction == "in" and first.verify_mode == "face"
    assert first.event_time == t30.replace(tzinfo=CST)
    assert first.valid is False and first.invalid_reason == "no_snapshot"
    by_sub = passes[f"{sub}-{t20:%Y%m%d%H%M%S}-1"]
    assert by_sub.direction == "out" and by_sub.verify_mode == "fingerprint"
    rejection = DeviceRejection.objects.get(code="zkteco.bad_line")
    assert rejection.device == zk and rejection.detail == "ATTLOG line 2"

    # The device retries the same body: nothing new, still acknowledged.
    again = post(client, "table=ATTLOG&Stamp=100", body)
    assert again.content == b"OK: 3"
    assert PassRecord.objects.count() == 3


def test_attlog_person_not_on_site_is_not_stored(world, zk, client):
    neighbour = world.workers["neighbour"].pk  # employed on p2, not on this device's project
    r = post(client, "table=ATTLOG", "\n".join([line(neighbour, local(5)), line(99999, local(5))]))
    assert r.content == b"OK: 0"
    assert not PassRecord.objects.exists()
    codes = set(DeviceRejection.objects.filter(device=zk).values_list("code", flat=True))
    assert codes == {"person.not_on_site"}


def test_attphoto_then_attlog_gives_a_valid_pass(
    world, zk, client, immediate_tasks, django_capture_on_commit_callbacks
):
    gc = world.workers["gc"].pk
    when = local(2)
    photo = (
        f"PIN={when:%Y%m%d%H%M%S}-{gc}.jpg\nSN={SN}\nsize=1234\nCMD=uploadphoto\0".encode() + jpeg()
    )
    assert post(client, "table=ATTPHOTO&Stamp=7", photo).content == b"OK"
    held = bytes(ZKTecoPhoto.objects.get().jpeg)
    assert (
        held[:3] != b"\xff\xd8\xff" and jpeg()[200:240] not in held
    )  # a face, sealed (issue 10 item 6)
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, "table=ATTLOG&Stamp=8", line(gc, when))
    assert r.content == b"OK: 1"
    p = PassRecord.objects.get()
    assert p.valid and p.snapshot and p.snapshot_width == 640
    assert not ZKTecoPhoto.objects.exists()  # used up
    assert DailyAttendance.objects.get(worker=gc, work_date=p.work_date).valid_passes == 1
    zk.refresh_from_db()
    assert zk.push_stamps == {"ATTPHOTO": "7", "ATTLOG": "8"}
    assert zk.clock_offset_ms is not None and abs(zk.clock_offset_ms) < 5 * 60 * 1000


def test_attlog_then_attphoto_attaches_the_photo_once(
    world, zk, client, immediate_tasks, django_capture_on_commit_callbacks
):
    """Terminals send the punch and its photo in either order: a late photo still makes the pass count."""
    gc = world.workers["gc"].pk
    when = local(3)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "table=ATTLOG&Stamp=9", line(gc, when)).content == b"OK: 1"
    p = PassRecord.objects.get()
    day = DailyAttendance.objects.get(worker=gc, work_date=p.work_date)
    assert not day.attended and p.invalid_reason == "no_snapshot"
    photo = (
        f"PIN={when:%Y%m%d%H%M%S}-{gc}.jpg\nSN={SN}\nsize=1234\nCMD=uploadphoto\0".encode() + jpeg()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "table=ATTPHOTO&Stamp=10", photo).content == b"OK"
    late = LateSnapshot.objects.get(pass_record=p)
    assert late.snapshot_width == 640 and not ZKTecoPhoto.objects.exists()
    day.refresh_from_db()
    assert day.attended and day.valid_passes == 1 and day.invalid_passes == 0
    assert SnapshotCheck.objects.get(pass_record=p).faces == 1
    # The same photo again (a device retry) attaches nothing more and waits for no punch.
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "table=ATTPHOTO&Stamp=10", photo).content == b"OK"
    assert LateSnapshot.objects.count() == 1


def test_attphoto_that_is_not_a_jpeg_is_counted_and_acknowledged(zk, client):
    r = post(client, "table=ATTPHOTO", b"PIN=20260101080000-1.jpg\nCMD=uploadphoto\0GIF89a")
    assert r.content == b"OK"
    assert DeviceRejection.objects.filter(code="zkteco.bad_photo").exists()
    assert not ZKTecoPhoto.objects.exists()


def test_operlog_is_acknowledged_and_counted(zk, client):
    body = "USER PIN=1\tName=x\tPri=0\nFACE PIN=1\tFID=0\tSize=3\tTMP=abc\n"
    assert post(client, "table=OPERLOG&Stamp=3", body).content == b"OK: 2"


def test_getrequest_renders_sync_people_and_devicecmd_acknowledges(world, zk, client):
    gc_worker = world.workers["gc"]
    face = jpeg(320, 240)
    gc_worker.face_photo.save("face.jpg", ContentFile(face), save=True)
    employment_exit(
        actor=world.user("sub_labor"),
        employment=world.employments["sub"],
        exit_on=timezone.localdate(),
    )
    assert client.get(f"/iclock/getrequest?SN={SN}").content == b"OK"
    command = device_command_queue(actor=world.user("gc_labor"), device=zk, kind="sync_people")

    r = client.get(f"/iclock/getrequest?SN={SN}&INFO=Ver 8.0.4.2-20230101,2,0,5,10.0.0.9")
    lines = r.content.decode().splitlines()
    gc, sub, pm = (world.workers[k].pk for k in ("gc", "sub", "pm"))
    content = base64.b64encode(face).decode()
    expected = {
        f"DATA UPDATE USERINFO PIN={gc}\tName=测试甲工\tPri=0",
        f"DATA UPDATE BIOPHOTO PIN={gc}\tType=9\tNo=0\tIndex=0"
        f"\tSize={len(content)}\tContent={content}",
        f"DATA DELETE USERINFO PIN={sub}",
        f"DATA UPDATE USERINFO PIN={pm}\tName=测试项目经理\tPri=0",
    }
    # never the neighbour project's worker; every line has an id of its own
    assert {x.split(":", 2)[2] for x in lines} == expected and len(lines) == 4
    ids = [int(x.split(":")[1]) for x in lines]
    assert len(set(ids)) == 4
    assert set(command.lines.values_list("pk", flat=True)) == set(ids)
    command.refresh_from_db()
    zk.refresh_from_db()
    assert command.status == "sent" and command.sent_at is not None
    assert zk.firmware == "Ver 8.0.4.2-20230101"
    # Sent once: the next poll has nothing.
    assert client.get(f"/iclock/getrequest?SN={SN}").content == b"OK"

    # Answered line by line: done once every line is.
    answer = [f"ID={i}&Return=0&CMD=DATA" for i in ids]
    client.generic("POST", f"/iclock/devicecmd?SN={SN}", "\n".join(answer[:3]))
    command.refresh_from_db()
    assert command.status == "sent"
    r = client.generic("POST", f"/iclock/devicecmd?SN={SN}", answer[3], content_type="text/plain")
    assert r.content == b"OK"
    command.refresh_from_db()
    assert command.status == "done" and command.acked_at is not None


def test_long_sync_continues_on_the_next_poll(world, zk, client, monkeypatch):
    monkeypatch.setattr("smz.terminals.zkteco.REPLY_MAX_LINES", 2)
    command = device_command_queue(actor=world.user("gc_labor"), device=zk, kind="sync_people")
    reboot = device_command_queue(actor=world.user("gc_labor"), device=zk, kind="reboot")
    first = client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    assert len(first) == 2 and all(":DATA UPDATE USERINFO" in x for x in first)
    command.refresh_from_db()
    assert command.status == "pending"  # an early acknowledgement does not close it
    first_id = first[0].split(":")[1]
    client.generic("POST", f"/iclock/devicecmd?SN={SN}", f"ID={first_id}&Return=0&CMD=DATA")
    command.refresh_from_db()
    assert command.status == "pending"
    second = client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    pins = {x.split("PIN=")[1].split("\t")[0] for x in first + second if "USERINFO" in x}
    assert pins == {str(world.workers[k].pk) for k in ("gc", "sub", "pm")}
    assert second[-1].endswith(":REBOOT")
    assert reboot.lines.get().pk == int(second[-1].split(":")[1])
    command.refresh_from_db()
    assert command.status == "sent"


def test_named_people_sync_sends_only_them_and_waiting_syncs_take_more_in(world, zk, client):
    """Admissions one by one: a waiting sync grows instead of a roster-wide sync per person."""
    actor = world.user("gc_labor")
    gc, sub, pm = (world.workers[k].pk for k in ("gc", "sub", "pm"))
    neighbour = world.workers["neighbour"].pk  # not on p1: named, but nothing to send for him
    assert zkteco_people_sync(actor=actor, projects=[zk.project_id], workers=[gc]) == 1
    assert zkteco_people_sync(actor=actor, projects=[zk.project_id], workers=[pm, neighbour]) == 0
    command = zk.commands.get(kind="sync_people")
    assert command.payload == {"workers": sorted([gc, pm, neighbour])}
    lines = client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    assert {x.split("PIN=")[1].split("\t")[0] for x in lines} == {str(gc), str(pm)}
    assert not any(f"PIN={sub}" in x for x in lines)
    # Sent: the next person gets a command of his own.
    assert zkteco_people_sync(actor=actor, projects=[zk.project_id], workers=[sub]) == 1
    assert zk.commands.filter(kind="sync_people").count() == 2


def test_a_waiting_full_sync_covers_named_people(world, zk, client):
    full = device_command_queue(actor=world.user("gc_labor"), device=zk, kind="sync_people")
    gc = world.workers["gc"].pk
    assert (
        zkteco_people_sync(actor=world.user("gc_labor"), projects=[zk.project_id], workers=[gc])
        == 0
    )
    full.refresh_from_db()
    assert full.payload == {} and zk.commands.count() == 1


def test_a_sync_in_progress_is_not_extended(world, zk, client, monkeypatch):
    """Half-sent syncs walk a worker-id cursor: someone added behind it would be skipped, so he gets his own."""
    monkeypatch.setattr("smz.terminals.zkteco.REPLY_MAX_LINES", 1)
    actor = world.user("gc_labor")
    gc, pm = world.workers["gc"].pk, world.workers["pm"].pk
    zkteco_people_sync(actor=actor, projects=[zk.project_id], workers=[gc, pm])
    client.get(
        f"/iclock/getrequest?SN={SN}"
    )  # the first person goes out, the command stays pending
    first = zk.commands.get()
    assert first.status == "pending" and first.sent_at is not None
    assert zkteco_people_sync(actor=actor, projects=[zk.project_id], workers=[gc]) == 1
    first.refresh_from_db()
    assert first.payload["workers"] == sorted([gc, pm])


def test_other_commands_render_and_a_failure_is_recorded(world, zk, client):
    actor = world.user("gc_labor")
    remove = device_command_queue(
        actor=actor, device=zk, kind="remove_person", payload={"person_id": 42}
    )
    reupload = device_command_queue(
        actor=actor,
        device=zk,
        kind="reupload",
        payload={"start": "2026-03-01T00:00:00+08:00", "end": "2026-03-01T23:59:59+08:00"},
    )
    set_time = device_command_queue(actor=actor, device=zk, kind="set_time")
    reboot = device_command_queue(actor=actor, device=zk, kind="reboot")
    lines = client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    texts = [x.split(":", 2)[2] for x in lines]
    assert texts[0] == "DATA DELETE USERINFO PIN=42"
    assert texts[1] == (
        "DATA QUERY ATTLOG StartTime=2026-03-01 00:00:00\tEndTime=2026-03-01 23:59:59"
    )
    assert texts[2].startswith("SET OPTIONS DateTime=")
    assert texts[3] == "REBOOT"
    ids = [int(x.split(":")[1]) for x in lines]
    assert ids == [c.lines.get().pk for c in (remove, reupload, set_time, reboot)]

    client.generic(
        "POST",
        f"/iclock/devicecmd?SN={SN}",
        f"ID={ids[0]}&Return=-1003&CMD=DATA\nID={ids[3]}&Return=0&CMD=REBOOT",
        content_type="text/plain",
    )
    remove.refresh_from_db()
    reboot.refresh_from_db()
    assert remove.status == "failed"
    assert remove.result == "1/1 行失败：DATA DELETE USERINFO PIN=42 Return=-1003"
    assert reboot.status == "done"


def test_rtdata_answers_server_time(zk, client):
    before = _packed(timezone.now().astimezone(dt.UTC))
    r = client.get(f"/iclock/rtdata?SN={SN}&type=time")
    assert r.status_code == 200
    stamp, zone = r.content.decode().split(",")
    assert zone == "ServerTZ=+0800"
    assert stamp.startswith("DateTime=") and 0 <= int(stamp[9:]) - before <= 5


def test_packed_time_follows_the_push_spec():
    # ((years*12 + months)*31 + days) * 86400 + seconds of the day, counted from 2000-01-01.
    assert _packed(dt.datetime(2000, 1, 1)) == 0
    assert _packed(dt.datetime(2000, 2, 1, 0, 0, 1)) == 31 * 86400 + 1
    assert _packed(dt.datetime(2001, 1, 2, 1, 0, 0)) == (12 * 31 + 1) * 86400 + 3600
