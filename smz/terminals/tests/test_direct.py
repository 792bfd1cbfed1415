"""Device-direct protocol v1 (D2, D3, X7) and the shared ingest path (N3)."""

from __future__ import annotations

import base64
import datetime as dt
import time

import pytest
from django.utils import timezone

from smz.attendance.models import DailyAttendance, PassRecord
from smz.devices.models import Device, DeviceCommand, DeviceRejection
from smz.devices.services import (
    device_command_queue,
    device_register,
    device_retire,
    site_boundary_set,
)
from smz.registry.services import employment_exit
from smz.testing.devices import DeviceClient, jpeg

pytestmark = pytest.mark.django_db


def rec(
    rid: str,
    person: int,
    *,
    when: dt.datetime | None = None,
    snapshot: bytes | None = b"default",
    **kw,
):
    when = when or timezone.localtime() - dt.timedelta(minutes=5)
    r = {
        "record_id": rid,
        "person_id": person,
        "time": when.isoformat(),
        "direction": "in",
        "verify_mode": "face",
        "similarity": 92.5,
    }
    if snapshot == b"default":
        snapshot = jpeg()
    if snapshot is not None:
        r["snapshot"] = base64.b64encode(snapshot).decode()
    return r | kw


def test_d2_heartbeat_returns_time_config_and_commands(world, gate):
    device_command_queue(actor=world.user("gc_labor"), device=gate.device, kind="sync_people")
    r = gate.post(
        "/device/v1/heartbeat", {"firmware": "v2.1", "device_time": timezone.now().isoformat()}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["config"]["project_code"] == world.projects["p1"].code
    assert [c["kind"] for c in body["commands"]] == ["sync_people"]
    gate.device.refresh_from_db()
    assert gate.device.last_heartbeat_at is not None and gate.device.firmware == "v2.1"
    assert abs(gate.device.clock_offset_ms) < 5000
    cmd = DeviceCommand.objects.get()
    assert cmd.status == "sent"
    r = gate.post(f"/device/v1/commands/{cmd.pk}/ack", {"ok": True, "message": "done"})
    assert r.status_code == 200
    cmd.refresh_from_db()
    assert cmd.status == "done"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        ({"secret": "wrong-secret"}, 401, "device.bad_signature"),
        ({"skew": -301}, 401, "device.stale_timestamp"),
        ({"skew": 400}, 401, "device.stale_timestamp"),
    ],
)
def test_x7_bad_requests_refused_with_codes(gate, mutate, status, code):
    # The planted clock skew is computed now, not at collection: a slow suite must not shrink it.
    if "skew" in mutate:
        mutate = {"ts": int(time.time()) + mutate["skew"]}
    r = gate.post("/device/v1/heartbeat", {}, **mutate)
    assert r.status_code == status
    assert r.json()["code"] == code
    assert DeviceRejection.objects.filter(code=code).exists()


def test_x7_replayed_nonce_refused(gate):
    assert gate.post("/device/v1/heartbeat", {}, nonce="n" * 16).status_code == 200
    r = gate.post("/device/v1/heartbeat", {}, nonce="n" * 16)
    assert r.status_code == 409 and r.json()["code"] == "device.replayed_nonce"


def test_x7_replayed_nonce_on_passes_is_refused_and_stores_nothing_new(world, gate):
    """/passes records its nonce inside the ingest transaction (one commit per request, issue 17 goal 2):
    a replay of the whole request is still refused, logged, and stores nothing; a batch replayed under a
    new nonce gets its stored answers (and, rolled back, records nothing: a replay of that request, whose
    signature binds its body, gets the same answers again)."""
    gc = world.workers["gc"].pk
    record = {"record_id": "n1", "person_id": gc, "time": timezone.localtime().isoformat()}
    body = {"batch_id": "nb-1", "records": [record]}
    first = gate.post("/device/v1/passes", body, nonce="p" * 16)
    assert first.status_code == 200 and first.json()["accepted"] == 1
    replay = gate.post("/device/v1/passes", body, nonce="p" * 16)
    assert replay.status_code == 409 and replay.json()["code"] == "device.replayed_nonce"
    assert DeviceRejection.objects.filter(code="device.replayed_nonce").count() == 1
    fresh = gate.post("/device/v1/passes", {**body, "records": [record]}, nonce="q" * 16)
    assert fresh.json()["results"] == first.json()["results"]
    assert PassRecord.objects.filter(device_record_id="n1").count() == 1
    again = gate.post("/device/v1/passes", {**body, "records": [record]}, nonce="q" * 16)
    assert again.json()["results"] == first.json()["results"]
    assert PassRecord.objects.filter(device_record_id="n1").count() == 1
    # a replayed nonce with a new batch: refused, and its record is not stored
    new = {"batch_id": "nb-2", "records": [{**record, "record_id": "n2"}]}
    assert gate.post("/device/v1/passes", new, nonce="p" * 16).status_code == 409
    assert not PassRecord.objects.filter(device_record_id="n2").exists()


def test_x7_body_is_covered_by_signature(gate):
    """Changing the body after signing (e.g. swapping a snapshot) breaks the signature."""
    import json

    body = json.dumps({"records": []}).encode()
    headers = gate.signed("POST", "/device/v1/passes", body)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    r = gate.client.generic(
        "POST",
        "/device/v1/passes",
        json.dumps({"records": [1]}),
        content_type="application/json",
        **extra,
    )
    assert r.status_code == 401 and r.json()["code"] == "device.bad_signature"


def test_d1_unknown_and_retired_devices_refused(world, gate):
    gate.device.serial = "NOT-REGISTERED"
    r = gate.post("/device/v1/heartbeat", {})
    assert r.status_code == 401 and r.json()["code"] == "device.unknown"
    gate.device.serial = "GATE-P1-01"
    device_retire(actor=world.user("gc_labor"), device=Device.objects.get(serial="GATE-P1-01"))
    r = gate.post("/device/v1/heartbeat", {})
    assert r.status_code == 403 and r.json()["code"] == "device.retired"


def test_n3_batch_answers_per_record_and_keeps_valid_ones(
    world, gate, immediate_tasks, django_capture_on_commit_callbacks
):
    gc, neighbour = world.workers["gc"].pk, world.workers["neighbour"].pk
    naive = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    records = [
        rec("r1", gc),
        rec("r2", neighbour),  # not on this site
        {
            "record_id": "r3",
            "person_id": gc,
            "time": naive,
            "snapshot": base64.b64encode(jpeg()).decode(),
        },
        {"record_id": "r4", "person_id": gc, "time": future},
        rec("r5", gc, snapshot=b"GIF89a not a jpeg"),
        rec("r6", gc, snapshot=b"\xff\xd8" + b"x" * (210 * 1024)),
        rec("r7", gc, snapshot=None),  # kept, invalid
        rec("r8", gc, snapshot=jpeg(160, 120)),  # kept, invalid (too small)
        {"record_id": "", "person_id": gc, "time": timezone.localtime().isoformat()},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = gate.post("/device/v1/passes", {"batch_id": "b-1", "records": records})
    assert r.status_code == 200, r.content
    res = {x["record_id"]: x for x in r.json()["results"]}
    assert res["r1"] == {
        "record_id": "r1",
        "status": "accepted",
        "valid": True,
        "face_check": "pending",
    }
    assert res["r2"]["code"] == "person.not_on_site"
    assert res["r3"]["code"] == "time.naive"
    assert res["r4"]["code"] == "time.future"
    assert res["r5"]["code"] == "snapshot.not_jpeg"
    assert res["r6"]["code"] == "snapshot.too_large"
    assert res["r7"]["status"] == "accepted" and res["r7"]["valid"] is False
    assert res["r8"]["invalid_reason"] == "抓拍照片分辨率过低"
    assert res[""]["code"] == "record.bad_id"
    assert set(PassRecord.objects.values_list("device_record_id", flat=True)) == {"r1", "r7", "r8"}
    day = DailyAttendance.objects.get(worker=gc)
    assert day.attended and day.valid_passes == 1 and day.invalid_passes == 2

    # The same batch again: same answers, nothing doubled.
    again = gate.post("/device/v1/passes", {"batch_id": "b-1", "records": records})
    assert again.json()["results"] == r.json()["results"]
    # The records again under a new batch id: stored ones answer duplicate.
    third = gate.post("/device/v1/passes", {"batch_id": "b-2", "records": records[:1]})
    assert third.json()["results"][0]["status"] == "duplicate"
    assert PassRecord.objects.count() == 3


def test_n3_late_passes_recompute_their_day(
    world, gate, immediate_tasks, django_capture_on_commit_callbacks
):
    gc = world.workers["gc"].pk
    three_days_ago = timezone.localtime() - dt.timedelta(days=3)
    morning = three_days_ago.replace(hour=7, minute=55)
    evening = three_days_ago.replace(hour=18, minute=5)
    with django_capture_on_commit_callbacks(execute=True):
        gate.post("/device/v1/passes", {"records": [rec("a", gc, when=morning)]})
    with django_capture_on_commit_callbacks(execute=True):
        gate.post("/device/v1/passes", {"records": [rec("b", gc, when=evening, direction="out")]})
    day = DailyAttendance.objects.get(worker=gc, work_date=morning.date())
    assert day.minutes == 10 * 60 + 10
    assert day.anomalies == []


def test_d5_off_site_device_flags_every_pass(
    world, gate, immediate_tasks, django_capture_on_commit_callbacks
):
    site_boundary_set(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    Device.objects.filter(pk=gate.device.pk).update(lng=113.40, lat=22.70)
    with django_capture_on_commit_callbacks(execute=True):
        r = gate.post("/device/v1/passes", {"records": [rec("x1", world.workers["gc"].pk)]})
    assert r.json()["results"][0]["valid"] is False
    p = PassRecord.objects.get()
    assert p.off_site and p.invalid_reason == "off_site"
    assert "off_site" in DailyAttendance.objects.get().anomalies


def test_d2_people_download_is_paged_and_includes_removals(world, gate):
    r = gate.call("GET", "/device/v1/people?limit=2")
    body = r.json()
    assert r.status_code == 200 and len(body["items"]) == 2 and body["has_more"]
    r2 = gate.call("GET", f"/device/v1/people?limit=2&cursor={body['next_cursor']}")
    rest = r2.json()
    people = {i["person_id"] for i in body["items"] + rest["items"]}
    # p1 has the GC's worker, the sub's worker and the project manager; never the neighbour's.
    assert people == {world.workers[k].pk for k in ("gc", "sub", "pm")}
    assert gate.post("/device/v1/people/ack", {"cursor": rest["next_cursor"]}).status_code == 200
    employment_exit(
        actor=world.user("sub_labor"),
        employment=world.employments["sub"],
        exit_on=timezone.localdate(),
    )
    r3 = gate.call("GET", f"/device/v1/people?cursor={rest['next_cursor']}")
    assert [(i["person_id"], i["op"]) for i in r3.json()["items"]] == [
        (world.workers["sub"].pk, "delete")
    ]


def test_x7_wrong_project_and_malformed_json(world, gate):
    r = gate.post("/device/v1/passes", {"project_code": world.projects["p2"].code, "records": []})
    assert r.status_code == 403 and r.json()["code"] == "device.wrong_project"
    r = gate.post("/device/v1/passes", raw=b"{not json")
    assert r.status_code == 400 and r.json()["code"] == "device.bad_json"
    r = gate.post("/device/v1/passes", {"records": [{}] * 501})
    assert r.status_code == 413 and r.json()["code"] == "device.batch_too_large"


def test_d5_tablet_check_in_is_judged_by_its_position(
    world, client, immediate_tasks, django_capture_on_commit_callbacks
):
    """A tablet on a municipal site: inside the boundary counts; outside or unlocated is kept but invalid."""
    labor = world.user("gc_labor")
    p1 = world.projects["p1"]
    site_boundary_set(
        actor=labor,
        project=p1,
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    device, secret = device_register(
        actor=labor,
        project=p1,
        serial="TAB-P1-01",
        kind=Device.Kind.TABLET,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="移动打卡",
    )
    tablet = DeviceClient(client, device, secret)
    gc, sub, pm = (world.workers[k].pk for k in ("gc", "sub", "pm"))
    records = [
        rec("t1", gc, lng=113.305, lat=22.605),
        rec("t2", sub, lng=113.42, lat=22.71),
        rec("t3", pm),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = tablet.post("/device/v1/passes", {"records": records})
    res = {x["record_id"]: x for x in r.json()["results"]}
    assert res["t1"]["valid"] is True
    assert res["t2"]["invalid_reason"] == "通行位置不在施工现场范围内"
    assert res["t3"]["invalid_reason"] == "平板打卡缺少定位"
    assert PassRecord.objects.filter(device=device).count() == 3
    assert DailyAttendance.objects.get(worker=gc).attended
    assert not DailyAttendance.objects.get(worker=sub).attended
    assert "off_site" in DailyAttendance.objects.get(worker=sub).anomalies
