"""Bad input on device-direct v1 (issue 10 item 7; N3, D2, X7): every bad input gets a clear answer, one bad
record never stalls a device, and every record's fields are strictly typed (附件7 §6)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smz.attendance.errors import RECORD_CODES
from smz.attendance.ingest import Outcome, RawPass, _check, _Checked, pass_records_ingest
from smz.attendance.models import PassRecord
from smz.core import signing
from smz.devices.models import Device, DeviceCommand
from smz.devices.services import device_command_queue, device_register
from smz.terminals.direct import pass_record_parse
from smz.terminals.errors import HEARTBEAT_CODES
from smz.testing.devices import DeviceClient, jpeg

pytestmark = pytest.mark.django_db

SNAPSHOT = base64.b64encode(jpeg()).decode()


def rec(rid: str, person: int, minutes_ago: int = 5, **kw) -> dict:
    when = timezone.localtime() - dt.timedelta(minutes=minutes_ago)
    r = {
        "record_id": rid,
        "person_id": person,
        "time": when.isoformat(),
        "direction": "in",
        "verify_mode": "face",
        "similarity": 92.5,
    }
    return r | kw


def post_raw(gate: DeviceClient, body: bytes, path: str = "/device/v1/passes", **headers):
    """A signed POST of exactly these bytes (e.g. NaN literals, which json.dumps cannot make strict)."""
    signed = gate.signed("POST", path, body)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (signed | headers).items()}
    return gate.client.generic("POST", path, body, content_type="application/json", **extra)


def assert_envelope(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.content[:300]
    body = r.json()
    assert body["code"] == code and body["message"] and isinstance(body["detail"], dict)
    return body


def stored_ids() -> set[str]:
    return set(PassRecord.objects.values_list("device_record_id", flat=True))


# --- one bad record among good ones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"similarity": "high"}, "similarity.invalid"),
        ({"snapshot": 12345}, "snapshot.bad_base64"),
        ({"person_id": 2**70}, "person.invalid"),
    ],
)
def test_item7_one_bad_record_among_99_good_is_rejected_alone(world, gate, bad, code):
    gc = world.workers["gc"].pk
    records = [rec(f"g{i}", gc, minutes_ago=200 - i, snapshot=SNAPSHOT) for i in range(99)]
    records.insert(50, rec("bad", gc) | bad)
    r = gate.post("/device/v1/passes", {"batch_id": "B-99", "records": records})
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (99, 1)
    answer = body["results"][50]
    assert answer["record_id"] == "bad" and answer["status"] == "rejected"
    assert answer["code"] == code and answer["reason"] == RECORD_CODES[code]
    assert len(stored_ids()) == 99 and "bad" not in stored_ids()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_item7_similarity_nan_or_infinity_is_a_per_record_rejection(world, gate, literal):
    gc = world.workers["gc"].pk
    good = json.dumps(rec("ok", gc))
    bad = json.dumps(rec("nan", gc, similarity=0.5)).replace("0.5", literal)
    r = post_raw(gate, f'{{"records": [{good}, {bad}]}}'.encode())
    assert r.status_code == 200, r.content[:300]
    results = r.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["code"] == "similarity.invalid"
    assert stored_ids() == {"ok"}


def test_item7_lone_surrogate_in_record_id_is_a_per_record_rejection(world, gate):
    gc = world.workers["gc"].pk
    body = json.dumps({"records": [rec("ok", gc), rec("X", gc)]}).replace('"X"', '"a\\ud800b"')
    r = post_raw(gate, body.encode())
    assert r.status_code == 200, r.content[:300]
    results = r.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["status"] == "rejected" and results[1]["code"] == "record.bad_id"
    assert stored_ids() == {"ok"}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("record_id", "a\x00b", "record.bad_id"),
        ("verify_mode", "fa\x00ce", "verify_mode.invalid"),
        ("time", "{three_minutes_ago}\x00", "time.invalid"),
        ("direction", "in\x00", "direction.invalid"),
    ],
)
def test_item7_nul_bytes_in_a_record_are_a_per_record_rejection(world, gate, field, value, code):
    """PostgreSQL cannot store NUL in text: refused per record, never a 500 (run on PostgreSQL too)."""
    # The moment is taken when the test runs, not at collection (the workers must collect the same ids).
    past = (timezone.localtime() - dt.timedelta(minutes=3)).isoformat()
    value = value.replace("{three_minutes_ago}", past)
    gc = world.workers["gc"].pk
    r = gate.post(
        "/device/v1/passes", {"records": [rec("ok", gc), rec("nul", gc) | {field: value}]}
    )
    assert r.status_code == 200, r.content[:300]
    assert r.json()["results"][1]["code"] == code
    assert stored_ids() == {"ok"}


@pytest.mark.parametrize("person_id", [True, 5.7, "5", 0, -3, None])
def test_item7_person_id_is_strictly_a_positive_integer(world, gate, person_id):
    gc = world.workers["gc"].pk
    r = gate.post(
        "/device/v1/passes", {"records": [rec("ok", gc), rec("p", gc, person_id=person_id)]}
    )
    assert r.status_code == 200, r.content[:300]
    assert r.json()["results"][1]["code"] == "person.invalid"
    assert stored_ids() == {"ok"}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"time": 1764028800}, "time.invalid"),
        ({"time": "yesterday"}, "time.invalid"),
        ({"direction": 1}, "direction.invalid"),
        ({"verify_mode": "x" * 17}, "verify_mode.invalid"),
        ({"similarity": 101}, "similarity.invalid"),
        ({"similarity": True}, "similarity.invalid"),
        ({"lng": "113.3"}, "location.invalid"),
        ({"lat": 1e308}, "location.invalid"),
        ({"record_id": 12345}, "record.bad_id"),
        ({"record_id": "x" * 65}, "record.bad_id"),
    ],
)
def test_item7_each_field_is_strictly_typed_per_record(world, gate, changes, code):
    gc = world.workers["gc"].pk
    r = gate.post("/device/v1/passes", {"records": [rec("ok", gc), rec("bad", gc) | changes]})
    assert r.status_code == 200, r.content[:300]
    assert r.json()["results"][1]["code"] == code
    assert stored_ids() == {"ok"}


def test_item7_a_record_that_is_not_an_object_is_rejected_alone(world, gate):
    gc = world.workers["gc"].pk
    r = gate.post("/device/v1/passes", {"records": [rec("ok", gc), [1, 2], "x", None]})
    assert r.status_code == 200, r.content[:300]
    assert [x["status"] for x in r.json()["results"]] == ["accepted", *["rejected"] * 3]
    assert {x.get("code") for x in r.json()["results"][1:]} == {"record.malformed"}


# --- the envelope ------------------------------------------------------------------------------------------


def test_item7_deeply_nested_json_is_400(gate):
    r = post_raw(gate, b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert_envelope(r, 400, "device.bad_json")


def test_item7_fifty_megabyte_body_is_413_before_it_is_read(gate):
    body = b'{"records": [], "pad": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    assert_envelope(post_raw(gate, body), 413, "device.body_too_large")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[]", 400, "device.bad_json"),
        (b'"records"', 400, "device.bad_json"),
        (b'{"records": {"a": 1}}', 400, "device.bad_json"),
        (b"\xff\xfe", 400, "device.bad_json"),
    ],
)
def test_item7_malformed_envelope_is_4xx_with_the_envelope(gate, body, status, code):
    assert_envelope(post_raw(gate, body), status, code)


def test_item7_batch_id_over_its_limit_is_refused_not_cut(world, gate):
    gc = world.workers["gc"].pk
    long_a, long_b = "B" * 64 + "-a", "B" * 64 + "-b"
    r = gate.post("/device/v1/passes", {"batch_id": long_a, "records": [rec("r1", gc)]})
    assert_envelope(r, 400, "device.bad_batch_id")
    r = gate.post("/device/v1/passes", {"batch_id": long_b, "records": [rec("r2", gc)]})
    assert_envelope(r, 400, "device.bad_batch_id")
    assert stored_ids() == set()


@pytest.mark.parametrize("batch_id", [12, "a\x00b", ""])
def test_item7_batch_id_must_be_text_without_control_characters(world, gate, batch_id):
    r = gate.post("/device/v1/passes", {"batch_id": batch_id, "records": []})
    assert_envelope(r, 400, "device.bad_batch_id")


def test_item7_header_and_body_batch_ids_that_differ_are_refused(world, gate):
    gc = world.workers["gc"].pk
    body = json.dumps({"batch_id": "B-1", "records": [rec("r1", gc)]}).encode()
    r = post_raw(gate, body, **{signing.HEADER_BATCH: "B-2"})
    assert_envelope(r, 400, "device.batch_id_mismatch")
    assert stored_ids() == set()
    r = post_raw(gate, body, **{signing.HEADER_BATCH: "B-1"})
    assert r.status_code == 200 and stored_ids() == {"r1"}


# --- duplicates and conflicts ------------------------------------------------------------------------------


def test_item7_record_repeated_in_one_batch_is_stored_once_accepted_then_duplicate(world, gate):
    gc = world.workers["gc"].pk
    same = rec("r1", gc)
    r = gate.post("/device/v1/passes", {"records": [same, rec("r2", gc, 4), same]})
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted", "duplicate"]
    assert PassRecord.objects.filter(device_record_id="r1").count() == 1


def test_item7_record_repeated_in_one_batch_with_other_content_is_a_conflict(world, gate):
    gc = world.workers["gc"].pk
    r = gate.post("/device/v1/passes", {"records": [rec("r1", gc), rec("r1", gc, direction="out")]})
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["accepted", "conflict"]
    assert results[1]["code"] == "record.conflict" and results[1]["reason"]
    assert r.json()["conflict"] == 1
    assert PassRecord.objects.get(device_record_id="r1").direction == "in"


@pytest.mark.parametrize(
    "changes",
    [
        {"direction": "out"},
        {"similarity": 50.0},
        {"time": "half an hour earlier"},
        {"person_id": "pm"},
    ],
)
def test_item7_resend_with_changed_content_is_a_conflict_not_silently_dropped(world, gate, changes):
    gc = world.workers["gc"].pk
    first = rec("r1", gc)
    assert gate.post("/device/v1/passes", {"records": [first]}).json()["accepted"] == 1
    if changes.get("person_id") == "pm":
        changes = {"person_id": world.workers["pm"].pk}
    if changes.get("time") == "half an hour earlier":  # computed now, not at collection
        changes = {"time": (timezone.localtime() - dt.timedelta(minutes=30)).isoformat()}
    again = gate.post("/device/v1/passes", {"records": [first]}).json()["results"][0]
    assert again["status"] == "duplicate"
    changed = gate.post("/device/v1/passes", {"records": [first | changes]}).json()
    assert changed["results"][0]["status"] == "conflict"
    assert changed["results"][0]["code"] == "record.conflict"
    stored = PassRecord.objects.get(device_record_id="r1")
    assert (stored.worker_id, stored.direction) == (gc, "in")


def test_item7_same_batch_id_with_changed_content_is_a_batch_conflict(world, gate):
    gc = world.workers["gc"].pk
    first = rec("r1", gc)
    assert (
        gate.post("/device/v1/passes", {"batch_id": "B-1", "records": [first]}).status_code == 200
    )
    r = gate.post(
        "/device/v1/passes", {"batch_id": "B-1", "records": [first | {"direction": "out"}]}
    )
    assert_envelope(r, 409, "device.batch_conflict")


def test_item7_missing_direction_on_an_in_and_out_device_is_refused(world, client, gate):
    device, secret = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="GATE-P1-BOTH",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="南门",
        direction=Device.Direction.BOTH,
    )
    both = DeviceClient(client, device, secret)
    gc = world.workers["gc"].pk
    no_direction = {k: v for k, v in rec("n1", gc).items() if k != "direction"}
    r = both.post("/device/v1/passes", {"records": [no_direction, rec("n2", gc, 4)]})
    results = r.json()["results"]
    assert results[0]["code"] == "direction.missing"
    assert results[1]["status"] == "accepted"
    # A one-way gate fills in its registered direction.
    no_direction["record_id"] = "n3"
    assert gate.post("/device/v1/passes", {"records": [no_direction]}).json()["accepted"] == 1
    assert PassRecord.objects.get(device_record_id="n3").direction == "in"


# --- heartbeat, people, commands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "device_time",
    ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+08:00", "2000-01-01T00:00:00Z"],
)
def test_item7_heartbeat_time_outside_a_sane_window_is_refused_with_a_code(gate, device_time):
    Device.objects.filter(pk=gate.device.pk).update(clock_offset_ms=1200)
    r = gate.post("/device/v1/heartbeat", {"device_time": device_time})
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    assert body["clock_offset_ms"] is None
    assert body["refused"] == [
        {
            "field": "device_time",
            "code": "time.out_of_range",
            "reason": HEARTBEAT_CODES["time.out_of_range"],
        }
    ]
    gate.device.refresh_from_db()
    assert gate.device.clock_offset_ms == 1200


@pytest.mark.parametrize("firmware", ["v1\x00", 5, "x" * 61])
def test_item7_heartbeat_firmware_is_checked_not_stored_raw(gate, firmware):
    r = gate.post("/device/v1/heartbeat", {"firmware": firmware})
    assert r.status_code == 200, r.content[:300]
    assert r.json()["refused"][0]["field"] == "firmware"
    gate.device.refresh_from_db()
    assert gate.device.firmware == ""


@pytest.mark.parametrize(
    "cursor",
    ["1" * 30 + "-1", "1764028800000000-" + "9" * 30, "-5-1", "abc", "1-2-3", "1" * 70],
)
def test_item7_bad_people_cursor_is_400(gate, cursor):
    r = gate.call("GET", f"/device/v1/people?cursor={cursor}")
    assert_envelope(r, 400, "people.bad_cursor")
    r = gate.post("/device/v1/people/ack", {"cursor": cursor})
    assert_envelope(r, 400, "people.bad_cursor")


def test_item7_people_limit_is_capped_and_a_bad_limit_has_the_envelope(gate):
    r = gate.call("GET", "/device/v1/people?limit=" + "9" * 30)
    assert r.status_code == 200 and len(r.json()["items"]) <= 100
    r = gate.call("GET", "/device/v1/people?limit=many")
    assert_envelope(r, 422, "validation_error")


def test_item7_command_ack_with_a_huge_id_or_nul_message(world, gate):
    assert_envelope(
        gate.post(f"/device/v1/commands/{2**70}/ack", {"ok": True}), 404, "command.unknown"
    )
    command = device_command_queue(actor=world.user("gc_labor"), device=gate.device, kind="reboot")
    r = gate.post(f"/device/v1/commands/{command.pk}/ack", {"ok": True, "message": "ok\x00\ud800"})
    assert r.status_code == 200, r.content[:300]
    assert DeviceCommand.objects.get(pk=command.pk).result == "ok"


# --- the record parser, for any input -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
record_like = st.fixed_dictionaries(
    {},
    optional={
        k: json_values
        for k in (
            "record_id",
            "person_id",
            "time",
            "direction",
            "verify_mode",
            "similarity",
            "snapshot",
            "lng",
            "lat",
        )
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=record_like | json_values)
def test_item7_record_parser_never_raises_and_answers_a_known_code(value):
    parsed = pass_record_parse(value)
    if parsed.refused:
        assert parsed.refused in RECORD_CODES
    else:
        assert isinstance(parsed.person_id, int) and not isinstance(parsed.person_id, bool)
        assert 1 <= parsed.person_id < 2**63
        assert 1 <= len(parsed.record_id) <= 64
        assert "\x00" not in parsed.record_id


class _Gate:
    direction = "in"
    kind = "face_gate"


# Records that parse, with hostile text: whitespace, control characters, lone surrogates, lengths at the limits.
_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=70)
near_valid = st.fixed_dictionaries(
    {
        "record_id": _text | st.text(max_size=66).map(lambda t: f" {t} "),
        "person_id": st.integers(min_value=-5, max_value=2**63 + 5) | st.booleans(),
        "time": st.sampled_from(
            ["2026-12-05T07:30:00+08:00", "2026-12-05T07:30:00", "2026-12-05 07:30:00Z", "x"]
        ),
    },
    optional={"verify_mode": _text, "direction": st.sampled_from(["in", "out", "", "up"])},
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=record_like | near_valid)
def test_issue17_2_a_parsed_record_checks_as_it_would_unchecked(value):
    """pass_record_parse marks its records clean (PassIn checked their text and person id), so the ingest
    check skips scanning them again: it must reach the same answer as the full check of the same record."""
    parsed = pass_record_parse(value)
    now = timezone.now()
    window = {"latest": now + dt.timedelta(days=3650), "earliest": now - dt.timedelta(days=3650)}
    fast = _check(parsed, device=_Gate, **window)
    full = _check(dataclasses.replace(parsed, clean=False), device=_Gate, **window)
    if isinstance(full, Outcome):
        assert fast == full
    else:
        assert isinstance(fast, _Checked)
        assert (fast.record_id, fast.worker_id, fast.verify_mode, fast.content()) == (
            full.record_id,
            full.worker_id,
            full.verify_mode,
            full.content(),
        )


def test_item7_a_repeated_record_of_a_person_not_on_site_is_never_acknowledged(world, gate):
    neighbour = world.workers["neighbour"].pk
    same = rec("r1", neighbour)
    results = gate.post("/device/v1/passes", {"records": [same, same]}).json()["results"]
    assert [x["code"] for x in results] == ["person.not_on_site", "person.not_on_site"]


def test_item7_the_shared_ingest_path_refuses_what_the_database_cannot_store(world, gate):
    """ZKTeco and tablets reach the same path with looser types: a 21-digit PIN, NUL, NaN are per record."""
    gc = world.workers["gc"].pk
    when = timezone.localtime() - dt.timedelta(minutes=5)
    records = [
        RawPass(record_id="ok", person_id=str(gc), event_time=when, verify_mode="zk:\x00"),
        RawPass(record_id="pin", person_id="1" * 21, event_time=when),
        RawPass(record_id="n\x00l", person_id=gc, event_time=when),
        RawPass(record_id="nan", person_id=gc, event_time=when, similarity=float("nan")),
        RawPass(record_id="lng", person_id=gc, event_time=when, lng=float("inf"), lat=1),
        RawPass(record_id="b", person_id=True, event_time=when),
    ]
    results = pass_records_ingest(device=gate.device, records=records)
    assert [r.get("code") for r in results] == [
        None,
        "person.unknown",
        "record.bad_id",
        "similarity.invalid",
        "location.invalid",
        "person.unknown",
    ]
    assert PassRecord.objects.get().verify_mode == "zk:"


def test_item11_an_invalid_pass_is_answered_with_a_code_and_its_text(world, gate):
    """附件7: `invalid_reason` is text for people; `invalid_code` is the machine code beside it."""
    r = gate.post("/device/v1/passes", {"records": [rec("r1", world.workers["gc"].pk)]})
    answer = r.json()["results"][0]
    assert answer["valid"] is False
    assert (answer["invalid_code"], answer["invalid_reason"]) == ("no_snapshot", "无抓拍照片")


def test_item11_heartbeat_config_states_the_limits(gate):
    config = gate.post("/device/v1/heartbeat", {}).json()["config"]
    assert config["batch_max"] == 500 and config["people_page_max"] == 100
    assert config["batch_id_max"] == 64 and config["body_max_bytes"] == 20 * 1024 * 1024
