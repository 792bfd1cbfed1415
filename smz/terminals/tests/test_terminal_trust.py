"""Issue 10 items 3 and 11 (device side): a site's roster goes only to its roster staff's terminals.

Sync is for the site's roster staff; a ZKTeco terminal is bound to the address it first calls from (and
is then sent its site's roster), a call from elsewhere gets nothing; the site admin re-binds; an optional
per-project allow-list; a new face reaches every terminal where the person is admitted; every line of a
getrequest answer has its own id; bad input on /iclock/ is refused clearly, never a 500 (N3, P3, D2).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from smz.attendance.models import PassRecord
from smz.core.models import Event
from smz.devices.models import Device, DeviceCommand, DeviceRejection, TerminalNetwork
from smz.devices.services import device_command_queue, device_register, terminal_network_set
from smz.registry import project_changes
from smz.terminals.zkteco import _attlog_line
from smz.testing.devices import jpeg

pytestmark = pytest.mark.django_db

SN = "ZK-TRUST-01"
SITE = "10.20.0.5"  # the terminal on the site's private network
ELSEWHERE = "203.0.113.77"  # anyone on the internet who learnt the serial
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def terminal(world, serial: str = SN, project: str = "p1", actor: str = "gc_labor") -> Device:
    device, _ = device_register(
        actor=world.user(actor),
        project=world.projects[project],
        serial=serial,
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.ZKTECO_PUSH,
        entrance="北门",
    )
    return device


@pytest.fixture
def zk(world) -> Device:
    return terminal(world)


def poll(client, address: str, *, sn: str = SN, path: str = "getrequest", query: str = ""):
    return client.get(f"/iclock/{path}?SN={sn}{query}", REMOTE_ADDR=address)


def upload(client, address: str, body: str | bytes, *, table: str = "ATTLOG", sn: str = SN):
    data = body.encode() if isinstance(body, str) else body
    return client.generic(
        "POST",
        f"/iclock/cdata?SN={sn}&table={table}",
        data,
        content_type="text/plain",
        REMOTE_ADDR=address,
    )


def punch(pin: int | str, minutes_ago: int = 5, when: str | None = None) -> str:
    moment = (timezone.now() - dt.timedelta(minutes=minutes_ago)).astimezone(CST)
    return f"{pin}\t{when or f'{moment:%Y-%m-%d %H:%M:%S}'}\t0\t15\t0\t0\t0"


# ---- item 3: who may send a site's roster ---------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    # A worker does not see his site's devices at all (a serial is a terminal's identity): 404.
    [("worker", 404), ("sup_manager", 403), ("sub_labor", 403), ("gc_pm", 403)],
)
def test_i10_3_sync_refused_for_people_who_only_see_the_project(
    world, as_user, zk, persona, status
):
    r = as_user(persona).post(f"/devices/{zk.pk}/sync/")
    assert r.status_code == status
    assert not zk.commands.exists()


def test_i10_3_sync_refused_for_an_outsider(world, as_user, zk):
    assert as_user("outsider").post(f"/devices/{zk.pk}/sync/").status_code == 404
    assert as_user("neighbour_labor").post(f"/devices/{zk.pk}/sync/").status_code == 404
    assert not zk.commands.exists()


@pytest.mark.parametrize("persona", ["gc_labor", "gc_admin", "city_admin"])
def test_i10_3_sync_allowed_for_roster_staff(world, as_user, zk, persona):
    r = as_user(persona).post(f"/devices/{zk.pk}/sync/")
    assert r.status_code == 302
    command = zk.commands.get()
    assert command.kind == "sync_people" and command.payload == {}
    assert Event.objects.filter(
        kind="device.command_queued", subject_id=zk.pk, actor=world.user(persona)
    ).exists()


# ---- item 3: terminals bound to where they call from ----------------------------------------------


def test_i10_3_first_contact_pins_the_address_and_sends_the_roster(world, client, zk):
    """Item 11: a new terminal gets its site's roster on first contact, without 同步人员 pressed."""
    assert zk.bound_address is None and not zk.commands.exists()
    lines = poll(client, SITE).content.decode().splitlines()
    pins = {x.split("PIN=")[1].split("\t")[0] for x in lines if "USERINFO" in x}
    assert pins == {str(world.workers[k].pk) for k in ("gc", "sub", "pm")}
    zk.refresh_from_db()
    assert zk.bound_address == SITE and zk.bound_at is not None
    pinned = Event.objects.get(kind="device.address_pinned", subject_id=zk.pk)
    assert pinned.data == {"address": SITE} and pinned.actor is None
    # Later contacts from the same place are served normally, without a second roster.
    assert poll(client, SITE).content == b"OK"
    assert zk.commands.count() == 1


def test_i10_3_a_waiting_roster_sync_is_not_queued_twice(world, client, zk):
    device_command_queue(actor=world.user("gc_labor"), device=zk, kind="sync_people")
    poll(client, SITE)
    assert zk.commands.count() == 1


def test_i10_3_anonymous_getrequest_from_another_address_gets_nothing(world, client, zk, as_user):
    poll(client, SITE)  # the real terminal binds first
    device_command_queue(actor=world.user("gc_labor"), device=zk, kind="sync_people")
    r = poll(client, ELSEWHERE)
    assert r.status_code == 403 and r.content == b"ERROR: device.address_mismatch"
    assert zk.commands.filter(status="pending").count() == 1  # nothing was handed out
    for path in ("cdata", "rtdata", "ping"):
        assert poll(client, ELSEWHERE, path=path).status_code == 403
    gc = world.workers["gc"].pk
    r = upload(client, ELSEWHERE, punch(gc))
    assert r.status_code == 403 and r.content == b"ERROR: device.address_mismatch"
    assert not PassRecord.objects.exists()
    r = client.generic(
        "POST", f"/iclock/devicecmd?SN={SN}", "ID=1&Return=0&CMD=DATA", REMOTE_ADDR=ELSEWHERE
    )
    assert r.status_code == 403
    # Logged once a minute (a terminal polls every few seconds), without personal data.
    rejection = DeviceRejection.objects.get(device=zk, code="device.address_mismatch")
    assert rejection.detail == ELSEWHERE
    zk.refresh_from_db()
    assert zk.bound_address == SITE
    # Shown on the device page, with the re-bind button for the site admin only.
    page = as_user("gc_labor").get(f"/projects/{zk.project_id}/devices/").content.decode()
    assert f"拒绝来自 {ELSEWHERE} 的连接" in page and f"重新绑定到 {ELSEWHERE}" in page
    sub_page = as_user("sub_labor").get(f"/projects/{zk.project_id}/devices/").content.decode()
    assert f"拒绝来自 {ELSEWHERE} 的连接" in sub_page and "重新绑定到" not in sub_page
    assert f"拒绝来自 {ELSEWHERE} 的连接" in as_user("town_l1").get("/devices/").content.decode()


def test_i10_3_unknown_serial_and_missing_address_get_nothing(world, client, zk):
    assert poll(client, SITE, sn="ZK-NOT-OURS").status_code == 401
    r = client.get(f"/iclock/getrequest?SN={SN}", REMOTE_ADDR="")
    assert r.status_code == 403 and r.content == b"ERROR: device.address_mismatch"
    zk.refresh_from_db()
    assert zk.bound_address is None and not zk.commands.exists()


def test_i10_3_rebind_by_the_site_admin_is_audited(world, client, zk, as_user):
    poll(client, SITE)
    moved = "10.20.9.9"
    poll(client, moved)  # the terminal moved (new SIM): refused and shown
    # Only the site's roster staff may re-bind.
    # A worker does not see his site's devices at all (404); other participants are refused (403).
    for persona, status in (
        ("sub_labor", 403),
        ("sup_manager", 403),
        ("worker", 404),
        ("gc_pm", 403),
    ):
        r = as_user(persona).post(f"/devices/{zk.pk}/rebind/", {"address": ELSEWHERE})
        assert r.status_code == status
    assert as_user("outsider").post(f"/devices/{zk.pk}/rebind/").status_code == 404
    c = as_user("gc_labor")
    assert c.get(f"/devices/{zk.pk}/rebind/").status_code == 405
    assert c.post(f"/devices/{zk.pk}/rebind/", {"address": moved}).status_code == 302
    zk.refresh_from_db()
    assert zk.bound_address == moved
    event = Event.objects.get(kind="device.address_rebound", subject_id=zk.pk)
    assert event.actor == world.user("gc_labor") and event.data == {"from": SITE, "to": moved}
    page = c.get(f"/projects/{zk.project_id}/devices/").content.decode()
    assert f"绑定地址 {moved}" in page and "拒绝来自" not in page  # refusals before the re-bind
    assert poll(client, moved).status_code == 200
    assert poll(client, SITE).status_code == 403
    # Unbinding: the next contact binds (and is sent the roster again).
    assert c.post(f"/devices/{zk.pk}/rebind/", {"address": ""}).status_code == 302
    zk.refresh_from_db()
    assert zk.bound_address is None
    assert poll(client, SITE).status_code == 200
    zk.refresh_from_db()
    assert zk.bound_address == SITE
    # A malformed address is refused, nothing changes.
    c.post(f"/devices/{zk.pk}/rebind/", {"address": "10.0.0.300"})
    zk.refresh_from_db()
    assert zk.bound_address == SITE


def test_i10_3_allow_list_is_enforced(world, client, zk, as_user):
    p1 = world.projects["p1"]
    assert (
        as_user("sub_labor")
        .post(f"/projects/{p1.pk}/terminal-network/", {"cidrs": "0.0.0.0/0"})
        .status_code
        == 403
    )
    for persona in ("outsider", "neighbour_labor"):
        r = as_user(persona).post(f"/projects/{p1.pk}/terminal-network/", {"cidrs": "0.0.0.0/0"})
        assert r.status_code == 404
    assert not TerminalNetwork.objects.exists()
    c = as_user("gc_labor")
    c.post(f"/projects/{p1.pk}/terminal-network/", {"cidrs": "not a network"})
    assert not TerminalNetwork.objects.exists()
    r = c.post(f"/projects/{p1.pk}/terminal-network/", {"cidrs": "10.20.0.0/16\n\n172.16.5.0/24"})
    assert r.status_code == 302
    assert TerminalNetwork.objects.get(project=p1).cidrs == ["10.20.0.0/16", "172.16.5.0/24"]
    assert Event.objects.filter(kind="project.terminal_network_set", subject_id=p1.pk).exists()

    # An unbound terminal calling from outside the list is not served and not bound.
    r = poll(client, ELSEWHERE)
    assert r.status_code == 403 and r.content == b"ERROR: device.address_not_allowed"
    zk.refresh_from_db()
    assert zk.bound_address is None and not zk.commands.exists()
    assert DeviceRejection.objects.filter(code="device.address_not_allowed").exists()
    assert b"USERINFO" in poll(client, SITE).content
    # Narrowing the list later shuts out a bound terminal outside it.
    terminal_network_set(actor=world.user("gc_labor"), project=p1, cidrs=["172.16.5.0/24"])
    assert poll(client, SITE).content == b"ERROR: device.address_not_allowed"


# ---- item 11: faces reach the terminals; per-line command ids ---------------------------------------


def test_i10_11_new_face_goes_to_every_terminal_where_he_is_admitted(
    world, zk, django_capture_on_commit_callbacks
):
    gate2 = terminal(world, serial="ZK-P1-02")
    other_site = terminal(world, serial="ZK-P3-01", project="p3", actor="gc_admin")
    neighbour_site = terminal(world, serial="ZK-P2-01", project="p2", actor="neighbour_labor")
    # He is also registered on p3 but still waits for the entry checks: p3's gates do not get him.
    held = world.employ("p3", "gc")
    held.gate_status = "pending"
    held.save()
    gc = world.workers["gc"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        project_changes.site_face_capture(
            actor=world.user("gc_labor"), employment=world.employments["gc"], data=jpeg(800, 600)
        )
    assert not DeviceCommand.objects.exists()  # nothing before the face is committed
    for callback in callbacks:
        callback()
    for device in (zk, gate2):
        assert device.commands.get().payload == {"workers": [gc.pk]}
    assert not other_site.commands.exists() and not neighbour_site.commands.exists()

    # The window's enrollment too, on top of the waiting sync.
    with django_capture_on_commit_callbacks(execute=True):
        project_changes.face_enroll(
            actor=world.user("window_clerk"),
            worker=world.workers["sub"],
            data=jpeg(800, 600),
            source="upload",
        )
    assert zk.commands.get().payload == {"workers": sorted([gc.pk, world.workers["sub"].pk])}


def test_i10_11_each_line_has_its_own_id_and_a_failed_line_is_marked(world, client, zk):
    lines = poll(client, SITE).content.decode().splitlines()  # the first-contact roster
    command = zk.commands.get()
    ids = {x.split(":", 2)[2].split("\t")[0]: x.split(":")[1] for x in lines}
    assert len(set(ids.values())) == len(lines) == 3
    pm = world.workers["pm"].pk
    failing = ids[f"DATA UPDATE USERINFO PIN={pm}"]
    answer = "\n".join(
        f"ID={i}&Return={-1003 if i == failing else 0}&CMD=DATA" for i in ids.values()
    )
    r = client.generic(
        "POST", f"/iclock/devicecmd?SN={SN}", answer, content_type="text/plain", REMOTE_ADDR=SITE
    )
    assert r.content == b"OK"
    by_status = {x.summary: (x.status, x.return_code) for x in command.lines.all()}
    assert by_status[f"DATA UPDATE USERINFO PIN={pm}"] == ("failed", -1003)
    gc = world.workers["gc"].pk
    assert by_status[f"DATA UPDATE USERINFO PIN={gc}"] == ("done", 0)
    command.refresh_from_db()
    assert command.status == "failed"
    assert command.result == f"1/3 行失败：DATA UPDATE USERINFO PIN={pm} Return=-1003"
    # Another device cannot answer for this one's lines.
    terminal(world, serial="ZK-P1-02")
    poll(client, "10.20.0.6", sn="ZK-P1-02")
    client.generic(
        "POST",
        "/iclock/devicecmd?SN=ZK-P1-02",
        "\n".join(f"ID={i}&Return=-1&CMD=DATA" for i in ids.values()),
        REMOTE_ADDR="10.20.0.6",
    )
    assert command.lines.filter(status="failed").count() == 1


# ---- bad input on /iclock/: a clear refusal, never a 500 --------------------------------------------


def test_i10_bad_pins_dates_and_characters_are_refused_per_line(world, client, zk):
    poll(client, SITE)
    gc = world.workers["gc"].pk
    body = "\n".join(
        [
            punch("1" * 21),  # beyond any worker id (was a 500)
            punch("-5"),
            punch(f"{gc}\x00"),
            punch(gc, when="9999-12-31 23:59:59"),
            punch(gc, when="0001-01-01 00:00:00"),
            f"{gc}\t{dt.datetime.now(CST):%Y-%m-%d %H:%M:%S}\t0\x00\t15",
            punch(gc),
        ]
    )
    r = upload(client, SITE, body)
    assert r.status_code == 200 and r.content == b"OK: 1"
    refused = {x.code: x.detail for x in DeviceRejection.objects.filter(device=zk)}
    assert refused["zkteco.bad_pin"] == "ATTLOG line 1, 2, 3"
    assert refused["zkteco.bad_line"] == "ATTLOG line 4, 5, 6"
    assert PassRecord.objects.count() == 1


def test_i10_bad_serials_photos_stamps_and_ids_get_clear_answers(world, client, zk):
    r = client.get("/iclock/getrequest?SN=ZK%00X", REMOTE_ADDR=SITE)
    assert r.status_code == 400 and r.content == b"ERROR: device.bad_serial"
    assert DeviceRejection.objects.get(code="device.bad_serial").serial == "ZK?X"
    assert poll(client, SITE, sn="Z" * 65).status_code == 400
    assert client.get("/iclock/getrequest", REMOTE_ADDR=SITE).status_code == 400

    poll(client, SITE)
    photo = f"PIN=20260101080000-{'9' * 40}.jpg\nSN={SN}\nCMD=uploadphoto\0".encode() + jpeg()
    assert upload(client, SITE, photo, table="ATTPHOTO").content == b"OK"
    photo = b"PIN=99991231235959-1.jpg\nCMD=uploadphoto\0" + jpeg()
    assert upload(client, SITE, photo, table="ATTPHOTO").content == b"OK"
    assert DeviceRejection.objects.filter(code="zkteco.bad_photo").count() == 2

    r = client.generic(
        "POST",
        f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=12%003",
        "",
        content_type="text/plain",
        REMOTE_ADDR=SITE,
    )
    assert r.status_code == 200
    zk.refresh_from_db()
    assert "ATTLOG" not in zk.push_stamps
    r = poll(client, SITE, query="&INFO=Ver%008.0,2")
    zk.refresh_from_db()
    assert r.status_code == 200 and "\x00" not in zk.firmware

    r = client.generic(
        "POST",
        f"/iclock/devicecmd?SN={SN}",
        f"ID={'9' * 30}&Return=0&CMD=DATA\nID=1&Return={'9' * 40}&CMD=DATA\nID=%00&Return=0",
        content_type="text/plain",
        REMOTE_ADDR=SITE,
    )
    assert r.status_code == 200 and r.content == b"OK"


def test_i10_a_body_over_the_upload_limit_is_413(world, client, zk, settings):
    poll(client, SITE)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    r = upload(client, SITE, "1\t2026-01-01 08:00:00\t0\t15\n" * 100)
    assert r.status_code == 413 and r.content == b"ERROR: zkteco.body_too_large"


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_i10_any_attlog_line_parses_or_is_refused(text):
    """Property: no line makes the parser raise; what it accepts fits a worker id and the device's years."""
    for line in (text, f"{text}\t2026-01-01 08:00:00\t0\t15", f"7\t{text}\t0\t15"):
        item = _attlog_line(line, CST)
        if item is not None:
            raw, _second = item
            assert 0 < int(raw.person_id) < 2**63 and raw.event_time.year in range(2000, 2100)
            assert "\x00" not in raw.record_id and len(raw.record_id) <= 64
