"""Inbound interface v1 (WF4, WF5, R2): the permit system, the quality center and the safety center post signed,
idempotent notices; each endpoint's effect, the signature refusals, idempotency, and the city admin's pages."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from smz.approvals.inbound.services import (
    inbound_system_register,
    inbound_system_retire,
    inbound_system_rotate,
)
from smz.approvals.models import InboundMessage, InboundSystem
from smz.core import signing
from smz.core.errors import DomainError
from smz.core.models import Event
from smz.registry import project_changes
from smz.registry.models import KeyPost, KeyPostChange, Project, Worker
from smz.registry.obligations import Exemption, key_post_exemption, project_calendar
from smz.registry.selectors import worker_find_by_id_number
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc
from smz.testing.errors import refused

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


FACE = Path(__file__).resolve().parents[2] / "attendance" / "fixtures" / "face.jpg"
NEW_PM_ID = synthetic_id_number(birth=dt.date(1980, 5, 6), seq=77, male=True)

PERMITS = "/inbound/v1/permits"
QUALITY = "/inbound/v1/quality-notices"
SAFETY = "/inbound/v1/safety-reports"


class SystemClient:
    """Speaks inbound v1 through the Django test client: signs every request with the system's secret."""

    def __init__(self, client, system: InboundSystem, secret: str):
        self.client, self.system, self.secret = client, system, secret

    def post(
        self,
        path: str,
        payload=None,
        *,
        ts: int | None = None,
        nonce: str | None = None,
        secret: str | None = None,
        code: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ):
        body = raw if raw is not None else json.dumps(payload).encode()
        stamp = str(ts if ts is not None else int(time.time()))
        nonce = nonce or uuid.uuid4().hex
        sent = {
            "X-Smz-System": code if code is not None else self.system.code,
            "X-Smz-Timestamp": stamp,
            "X-Smz-Nonce": nonce,
            "X-Smz-Signature": signing.sign(
                secret or self.secret, "POST", path, stamp, nonce, body
            ),
        }
        if headers is not None:
            sent = headers
        return self.client.generic(
            "POST", path, body, content_type="application/json", headers=sent
        )


@pytest.fixture
def systems(world, client) -> dict[str, SystemClient]:
    admin = world.user("city_admin")
    out = {}
    for kind, code in [("permit", "ZS-PERMIT"), ("quality", "ZS-QUALITY"), ("safety", "ZS-SAFETY")]:
        system, secret = inbound_system_register(
            actor=admin, code=code, name=f"{code} 系统", kind=kind, docked_on=today()
        )
        out[kind] = SystemClient(client, system, secret)
    return out


def _p1(world) -> Project:
    return Project.objects.get(pk=world.projects["p1"].pk)


def _quality(world, message_id="Q-0001", **kw):
    return {
        "message_id": message_id,
        "project_code": world.projects["p1"].code,
        "notice_no": "中建质监告〔2026〕17号",
        "issued_on": (today() - dt.timedelta(days=3)).isoformat(),
        "completion_date": (today() - dt.timedelta(days=10)).isoformat(),
    } | kw


def _safety(world, message_id="S-0001", **kw):
    return {
        "message_id": message_id,
        "project_code": world.projects["p1"].code,
        "report_no": "中建安评〔2026〕5号",
        "issued_on": (today() - dt.timedelta(days=2)).isoformat(),
    } | kw


def _key_post(world, post="P01", corp="gc", id_number=NEW_PM_ID, name="测试新经理", **kw):
    return {
        "post": post,
        "corp_code": world.enterprises[corp].corp_code,
        "id_number": id_number,
        "name": name,
        "approved_on": (today() - dt.timedelta(days=1)).isoformat(),
        "permit_ref": "中建许变〔2026〕31号",
    } | kw


def _permit(world, message_id="P-0001", **kw):
    p1 = world.projects["p1"]
    return {
        "message_id": message_id,
        "project_code": p1.code,
        "permit_no": p1.permit_no,
        "permit_issued_on": p1.permit_issued_on.isoformat(),
    } | kw


def _face_jpeg() -> bytes:
    """The real face photo, at least 480 px on its short side (the window's enrollment minimum)."""
    with Image.open(FACE) as img:
        img.load()
        short = min(img.size)
        if short < project_changes.ENROLL_MIN_SIDE:
            scale = project_changes.ENROLL_MIN_SIDE / short
            img = img.resize((round(img.width * scale), round(img.height * scale)))
        assert min(img.size) >= project_changes.ENROLL_MIN_SIDE
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=92)
        return buf.getvalue()


# ---- effects of each endpoint --------------------------------------------------------------------------


def test_r2_permit_records_number_date_and_moves_the_planned_start(world, systems):
    new_start = dt.date(2024, 3, 1)
    r = systems["permit"].post(
        PERMITS,
        _permit(
            world,
            permit_no="44200020240101999",
            permit_issued_on="2024-01-20",
            planned_start=new_start.isoformat(),
        ),
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["replayed"] is False and body["planned_start_changed"] is True
    assert body["permit_no"] == "44200020240101999" and body["key_posts"] == []
    p1 = _p1(world)
    assert p1.permit_no == "44200020240101999" and p1.permit_issued_on == dt.date(2024, 1, 20)
    assert p1.planned_start == new_start
    start = Event.objects.get(kind="project.start_changed", subject_id=p1.pk)
    assert start.actor is None and "ZS-PERMIT" in start.data["basis"]
    permit = Event.objects.get(kind="project.permit_recorded", subject_id=p1.pk)
    assert permit.actor is None and permit.data["system"] == "ZS-PERMIT"
    received = Event.objects.get(kind="inbound.permit")
    assert received.data == {"system": "ZS-PERMIT", "message_id": "P-0001"}


def test_r2_permit_restating_the_project_changes_nothing(world, systems):
    r = systems["permit"].post(
        PERMITS, _permit(world, planned_start=world.projects["p1"].planned_start.isoformat())
    )
    assert r.status_code == 200, r.content
    assert r.json()["planned_start_changed"] is False
    assert not Event.objects.filter(kind__in=["project.permit_recorded", "project.start_changed"])


def test_wf4_permit_change_awaits_the_face_then_the_new_person_holds_the_post(world, systems):
    r = systems["permit"].post(PERMITS, _permit(world, key_posts=[_key_post(world)]))
    assert r.status_code == 200, r.content
    assert r.json()["key_posts"] == [
        {"post": "P01", "corp_code": world.enterprises["gc"].corp_code, "status": "awaiting_face"}
    ]
    post = KeyPost.objects.get(project=world.projects["p1"], post="P01")
    assert post.holder == world.workers["pm"]  # the original holder keeps attending
    new = worker_find_by_id_number(id_card_type="01", id_number=NEW_PM_ID)
    assert new is not None and new.name == "测试新经理" and new.gender == "1"
    change = KeyPostChange.objects.get(key_post=post)
    assert change.source == "permit_system" and change.status == KeyPostChange.Status.AWAITING_FACE
    stored = InboundMessage.objects.get()
    assert NEW_PM_ID not in json.dumps(stored.payload)  # ID numbers are never stored in clear

    project_changes.face_enroll(
        actor=world.user("window_clerk"), worker=new, data=_face_jpeg(), source="upload"
    )
    post.refresh_from_db()
    change.refresh_from_db()
    assert post.holder == new and change.status == KeyPostChange.Status.EFFECTIVE


def test_wf4_permit_answers_each_key_post_on_its_own(world, systems):
    enrolled = world.workers["neighbour"]
    project_changes.face_enroll(
        actor=world.user("window_clerk"), worker=enrolled, data=_face_jpeg(), source="upload"
    )
    items = [
        _key_post(world, post="P01", id_number=world.workers["pm"].id_number, name="测试项目经理"),
        _key_post(world, post="P03", id_number=enrolled.id_number, name=enrolled.name),
        _key_post(world, post="S01", corp="sup"),
        _key_post(world, post="P02", id_number=enrolled.id_number, name=enrolled.name),
        _key_post(world, post="Z99"),
        _key_post(world, post="P04", corp_code=synthetic_uscc(seq=900)),
        _key_post(world, post="P04", corp="neighbour"),
        _key_post(world, post="P05", id_number=world.workers["gc"].id_number, name="别人"),
        _key_post(world, post="P06", id_number="440000198001010000"),
        _key_post(world, post="P03", id_number=enrolled.id_number, name=enrolled.name),
    ]
    r = systems["permit"].post(PERMITS, _permit(world, key_posts=items))
    assert r.status_code == 200, r.content
    answers = [(a["post"], a["status"], a.get("code")) for a in r.json()["key_posts"]]
    assert answers == [
        ("P01", "unchanged", None),
        ("P03", "effective", None),
        ("S01", "awaiting_face", None),
        ("P02", "effective", None),  # a post the permit names for the first time is created
        ("Z99", "rejected", "key_post.unknown_post"),
        ("P04", "rejected", "key_post.unknown_enterprise"),
        ("P04", "rejected", "key_post.not_participant"),
        ("P05", "rejected", "key_post.name_mismatch"),
        ("P06", "rejected", "key_post.bad_person"),
        ("P03", "rejected", "key_post.duplicate_item"),
    ]
    assert all(a["reason"] for a in r.json()["key_posts"] if a["status"] == "rejected")
    p1 = world.projects["p1"]
    assert KeyPost.objects.get(project=p1, post="P03").holder == enrolled
    assert KeyPost.objects.get(project=p1, post="P02", enterprise=world.enterprises["gc"]).holder
    assert not KeyPost.objects.filter(project=p1, post__in=["P04", "P05", "P06"]).exists()


def test_wf5_quality_notice_stops_only_the_project_manager_and_records_completion(world, systems):
    r = systems["quality"].post(QUALITY, _quality(world))
    assert r.status_code == 200, r.content
    body = r.json()
    issued = today() - dt.timedelta(days=3)
    assert body["pm_attendance_stop_on"] == issued.isoformat() and body["stop_applied"] is True
    assert body["completed_on"] == (today() - dt.timedelta(days=10)).isoformat()
    p1 = _p1(world)
    assert (
        p1.completed_on == today() - dt.timedelta(days=10) and p1.status == Project.Status.COMPLETED
    )
    calendar = project_calendar(p1)
    assert key_post_exemption(calendar, "P01", issued) == Exemption.STOPPED
    assert key_post_exemption(calendar, "P01", issued - dt.timedelta(days=1)) == ""
    assert key_post_exemption(calendar, "P03", issued) == ""
    assert key_post_exemption(calendar, "S01", today()) == ""
    stop = Event.objects.get(kind="project.attendance_stopped", subject_id=p1.pk)
    assert stop.actor is None and stop.data["group"] == "pm" and "ZS-QUALITY" in stop.data["basis"]


def test_wf5_safety_report_stops_everyone_but_the_project_manager(world, systems):
    r = systems["safety"].post(SAFETY, _safety(world))
    assert r.status_code == 200, r.content
    issued = today() - dt.timedelta(days=2)
    assert r.json()["staff_attendance_stop_on"] == issued.isoformat()
    calendar = project_calendar(_p1(world))
    assert key_post_exemption(calendar, "P03", issued) == Exemption.STOPPED
    assert key_post_exemption(calendar, "S01", issued) == Exemption.STOPPED
    assert key_post_exemption(calendar, "P01", issued) == ""


def test_wf5_first_stop_stands(world, systems):
    systems["safety"].post(SAFETY, _safety(world))
    r = systems["safety"].post(
        SAFETY, _safety(world, message_id="S-0002", issued_on=today().isoformat())
    )
    assert r.status_code == 200
    assert r.json()["stop_applied"] is False
    assert r.json()["staff_attendance_stop_on"] == (today() - dt.timedelta(days=2)).isoformat()


def test_project_found_by_permit_number(world, systems):
    r = systems["safety"].post(SAFETY, _safety(world, project_code=world.projects["p3"].permit_no))
    assert r.status_code == 200, r.content
    assert r.json()["project_code"] == world.projects["p3"].code


# ---- idempotency --------------------------------------------------------------------------------------


def test_duplicate_message_gets_the_same_answer_and_no_second_effect(world, systems):
    first = systems["quality"].post(QUALITY, _quality(world))
    events = Event.objects.count()
    # Same content, other key order and spacing, new nonce: the same message.
    reordered = dict(reversed(list(_quality(world).items())))
    again = systems["quality"].post(QUALITY, raw=json.dumps(reordered, indent=2).encode())
    assert again.status_code == 200, again.content
    assert again.json() == first.json() | {"replayed": True}
    assert Event.objects.count() == events
    assert InboundMessage.objects.count() == 1


def test_same_id_with_another_payload_is_a_conflict(world, systems):
    systems["quality"].post(QUALITY, _quality(world))
    r = systems["quality"].post(QUALITY, _quality(world, notice_no="另一份告知书"))
    assert r.status_code == 409
    assert r.json()["code"] == "inbound.message_conflict" and r.json()["message"]
    permit = _permit(world, key_posts=[_key_post(world, post="S01", corp="sup")])
    assert systems["permit"].post(PERMITS, permit).status_code == 200
    other_person = synthetic_id_number(birth=dt.date(1981, 1, 1), seq=78, male=True)
    changed = _permit(
        world, key_posts=[_key_post(world, post="S01", corp="sup", id_number=other_person)]
    )
    assert systems["permit"].post(PERMITS, changed).status_code == 409


def test_unknown_project_is_refused_and_not_stored_so_a_corrected_retry_succeeds(world, systems):
    r = systems["quality"].post(QUALITY, _quality(world, project_code="442000209999999"))
    assert r.status_code == 404
    assert r.json() == {
        "code": "inbound.unknown_project",
        "message": "项目不存在：请核对项目编码或施工许可证号",
        "detail": {"project_code": "442000209999999"},
    }
    assert not InboundMessage.objects.exists()
    r = systems["quality"].post(QUALITY, _quality(world))
    assert r.status_code == 200 and r.json()["replayed"] is False


# ---- authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        ({"secret": "wrong-secret"}, 401, "inbound.bad_signature"),
        ({"skew": -301}, 401, "inbound.stale_timestamp"),
        ({"skew": 400}, 401, "inbound.stale_timestamp"),
        ({"code": "NO-SUCH-SYSTEM"}, 401, "inbound.unknown_system"),
        ({"headers": {"X-Smz-System": "ZS-QUALITY"}}, 401, "inbound.missing_headers"),
    ],
)
def test_bad_requests_are_refused_with_codes(world, systems, mutate, status, code):
    # The planted clock skew is computed now, not at collection: a slow suite must not shrink it.
    if "skew" in mutate:
        mutate = {"ts": int(time.time()) + mutate["skew"]}
    r = systems["quality"].post(QUALITY, _quality(world), **mutate)
    assert r.status_code == status, r.content
    assert r.json()["code"] == code and r.json()["message"]
    assert set(r.json()) == {"code", "message", "detail"}
    assert not InboundMessage.objects.exists()


def test_replayed_nonce_is_refused(world, systems):
    assert systems["quality"].post(QUALITY, _quality(world), nonce="nonce-0001").status_code == 200
    r = systems["quality"].post(QUALITY, _quality(world, message_id="Q-2"), nonce="nonce-0001")
    assert r.status_code == 401 and r.json()["code"] == "inbound.replayed_nonce"


def test_retired_system_is_refused_and_rotation_invalidates_the_old_secret(world, systems):
    admin = world.user("city_admin")
    old = systems["quality"].secret
    new = inbound_system_rotate(actor=admin, system=systems["quality"].system)
    r = systems["quality"].post(QUALITY, _quality(world), secret=old)
    assert r.status_code == 401 and r.json()["code"] == "inbound.bad_signature"
    assert systems["quality"].post(QUALITY, _quality(world), secret=new).status_code == 200
    inbound_system_retire(actor=admin, system=systems["safety"].system)
    r = systems["safety"].post(SAFETY, _safety(world))
    assert r.status_code == 401 and r.json()["code"] == "inbound.unknown_system"


@pytest.mark.parametrize(
    ("sender", "path"),
    [("quality", PERMITS), ("safety", QUALITY), ("permit", SAFETY), ("permit", QUALITY)],
)
def test_a_system_may_post_only_its_own_notices(world, systems, sender, path):
    r = systems[sender].post(path, _quality(world))
    assert r.status_code == 403 and r.json()["code"] == "inbound.wrong_system"
    assert _p1(world).pm_attendance_stop_on is None


# ---- schema -------------------------------------------------------------------------------------------


def test_malformed_json_is_a_422_envelope(world, systems):
    r = systems["quality"].post(QUALITY, raw=b'{"message_id": "Q-1",')
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert r.json()["detail"]["fields"] == {"_": "请求体不是有效的 JSON（UTF-8）"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issued_on": "2026/01/05"}, "issued_on"),
        ({"issued_on": 20260105}, "issued_on"),
        ({"completion_date": "2026-02-30"}, "completion_date"),
        ({"message_id": ""}, "message_id"),
        ({"message_id": "x" * 65}, "message_id"),
        ({"notice_no": 17}, "notice_no"),
        ({"unexpected": "x"}, "unexpected"),
        ({"issued_on": "in five days"}, "issued_on"),
    ],
)
def test_schema_errors_name_the_field(world, systems, change, field):
    if change.get("issued_on") == "in five days":  # a future date, computed now, not at collection
        change = {"issued_on": (today() + dt.timedelta(days=5)).isoformat()}
    r = systems["quality"].post(QUALITY, _quality(world, **change))
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "validation_error"
    assert field in r.json()["detail"]["fields"]


def test_missing_fields_and_non_objects_are_422(world, systems):
    r = systems["quality"].post(QUALITY, {"message_id": "Q-1"})
    assert r.status_code == 422
    assert {"project_code", "notice_no", "issued_on", "completion_date"} <= set(
        r.json()["detail"]["fields"]
    )
    r = systems["quality"].post(QUALITY, [1, 2])
    assert r.status_code == 422
    r = systems["permit"].post(
        PERMITS, _permit(world, key_posts=[_key_post(world) | {"approved_on": "yesterday"}])
    )
    assert r.status_code == 422 and "key_posts.0.approved_on" in r.json()["detail"]["fields"]


# ---- systems (services) -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["town_l1", "gc_labor", "outsider", "city_supervisor"])
def test_only_the_city_admin_registers_rotates_and_retires(world, systems, who):
    user = world.user(who)
    with refused("forbidden"):
        inbound_system_register(actor=user, code="X-1", name="x", kind="permit")
    with refused("forbidden"):
        inbound_system_rotate(actor=user, system=systems["permit"].system)
    with refused("forbidden"):
        inbound_system_retire(actor=user, system=systems["permit"].system)


def test_register_checks_fields_and_unique_code(world, systems):
    admin = world.user("city_admin")
    with pytest.raises(DomainError) as exc:
        inbound_system_register(actor=admin, code="ZS-PERMIT", name="重复", kind="permit")
    assert exc.value.detail["fields"] == {"code": "该系统编码已登记"}
    with pytest.raises(DomainError) as exc:
        inbound_system_register(actor=admin, code="坏 编码", name="", kind="x")
    assert set(exc.value.detail["fields"]) == {"code", "name", "kind"}
    system, secret = inbound_system_register(
        actor=admin, code="ZS-P2", name="第二套许可系统", kind="permit"
    )
    assert len(secret) >= 40 and InboundSystem.objects.get(pk=system.pk).secret == secret
    assert Event.objects.filter(kind="inbound.system_registered", subject_id=system.pk).exists()


# ---- pages --------------------------------------------------------------------------------------------


def test_city_admin_registers_a_system_and_sees_the_secret_once(world, as_user):
    client = as_user("city_admin")
    url = reverse("approvals:inbound_systems")
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "action": "register",
            "kind": "quality",
            "code": "ZS-QC",
            "name": "质量事务中心系统",
            "docked_on": "2026-01-05",
        },
    )
    assert r.status_code == 200
    system = InboundSystem.objects.get(code="ZS-QC")
    assert system.kind == "quality" and system.docked_on == dt.date(2026, 1, 5)
    html = r.content.decode()
    assert 'data-testid="secret"' in html and system.secret in html
    again = client.get(url).content.decode()
    assert system.secret not in again and "ZS-QC" in again
    r = client.post(url, {"action": "rotate", "system": system.pk})
    system.refresh_from_db()
    assert system.secret in r.content.decode()
    client.post(url, {"action": "retire", "system": system.pk})
    system.refresh_from_db()
    assert system.retired_at is not None
    r = client.post(url, {"action": "register", "kind": "quality", "code": "ZS-QC", "name": "x"})
    assert r.status_code == 422 and "该系统编码已登记" in r.content.decode()


def test_systems_page_lists_counts_and_recent_messages(world, systems, as_user):
    systems["quality"].post(QUALITY, _quality(world))
    html = as_user("city_admin").get(reverse("approvals:inbound_systems")).content.decode()
    assert "ZS-QUALITY" in html and "Q-0001" in html and "质量监督任务完成告知书" in html
    assert "项目经理自" in html


def test_sandbox_signs_and_sends_a_message_and_shows_both_sides(world, systems, as_user):
    client = as_user("city_admin")
    url = reverse("approvals:inbound_sandbox")
    quality = systems["quality"].system
    r = client.get(url, {"system": quality.pk})
    html = r.content.decode()
    assert r.status_code == 200 and "quality-notices" in html
    assert world.projects["p1"].code in html  # the example uses a real project
    body = json.dumps(_quality(world, message_id="SANDBOX-1"), ensure_ascii=False, indent=2)
    r = client.post(
        url,
        {
            "action": "send",
            "system": quality.pk,
            "endpoint": "quality-notices",
            "body": body.replace("\n", "\r\n"),
        },
    )
    assert r.status_code == 200
    exchange = r.context["exchange"]
    assert exchange.status == 200, exchange.response
    assert json.loads(exchange.response)["pm_attendance_stop_on"]
    assert exchange.headers["X-Smz-System"] == "ZS-QUALITY"
    assert exchange.body == body and exchange.path == QUALITY
    assert exchange.string_to_sign.startswith(f"POST\n{QUALITY}\n")
    assert "HTTP 200" in r.content.decode()
    assert quality.secret not in r.content.decode()
    assert _p1(world).pm_attendance_stop_on is not None
    # The wrong endpoint for the system: the sandbox shows the refusal as a vendor would get it.
    r = client.post(
        url,
        {"action": "send", "system": quality.pk, "endpoint": "safety-reports", "body": body},
    )
    assert r.context["exchange"].status == 403


def test_sandbox_loads_an_example_for_the_chosen_endpoint(world, systems, as_user):
    r = as_user("city_admin").post(
        reverse("approvals:inbound_sandbox"),
        {
            "action": "example",
            "system": systems["permit"].system.pk,
            "endpoint": "permits",
            "project": world.projects["p2"].code,
            "body": "{}",
        },
    )
    example = json.loads(r.context["body"])
    assert example["project_code"] == world.projects["p2"].code
    assert example["permit_no"] == world.projects["p2"].permit_no and example["key_posts"] == []


@pytest.mark.parametrize("who", ["town_l1", "gc_labor", "outsider", "city_supervisor", "worker"])
@pytest.mark.parametrize("name", ["approvals:inbound_systems", "approvals:inbound_sandbox"])
def test_other_roles_are_refused_the_pages(world, systems, as_user, who, name):
    client = as_user(who)
    assert client.get(reverse(name)).status_code == 403
    r = client.post(
        reverse(name),
        {"action": "register", "kind": "permit", "code": "EVIL", "name": "x", "body": "{}"},
    )
    assert r.status_code == 403
    assert not InboundSystem.objects.filter(code="EVIL").exists()


def test_anonymous_is_sent_to_login(client, world):
    r = client.get(reverse("approvals:inbound_systems"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_worker_count_unchanged_for_a_known_person(world, systems):
    before = Worker.objects.count()
    item = _key_post(world, post="P03", id_number=world.workers["gc"].id_number, name="测试甲工")
    r = systems["permit"].post(PERMITS, _permit(world, key_posts=[item]))
    assert r.json()["key_posts"][0]["status"] == "awaiting_face"
    assert Worker.objects.count() == before


def test_docs_worked_example_signature():
    """docs/interfaces/inbound.md §2: the worked example's hash and signature are what the platform computes."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "interfaces" / "inbound.md").read_text()
    body = (
        '{"message_id":"ZJ-20260101-0001","project_code":"442000202400001",'
        '"notice_no":"中建质监告〔2026〕1号","issued_on":"2026-01-01","completion_date":"2025-12-28"}'
    ).encode()
    assert body.decode() in doc and f"Body ({len(body)} bytes" in doc
    sts = signing.string_to_sign("POST", QUALITY, "1767225600", "5f2c8a1e9b7d4c36", body)
    assert f"```\n{sts}\n```" in doc
    signature = signing.sign(
        "q8Xr2vN0-demo-secret-for-docs-only-Jd5kP1sT",
        "POST",
        QUALITY,
        "1767225600",
        "5f2c8a1e9b7d4c36",
        body,
    )
    assert f"X-Smz-Signature: {signature}" in doc


def test_issue11_systems_page_links_the_rendered_interface_spec(world, as_user):
    """Issue 11 item 7: "接口规范：docs/interfaces/inbound.md" was a path to nowhere; now a link to the portal's page."""
    client = as_user("city_admin")
    html = client.get(reverse("approvals:inbound_systems")).content.decode()
    spec = reverse("portal:guide_doc", args=["interfaces", "inbound"])
    assert f'href="{spec}" data-testid="inbound-spec"' in html
    assert "docs/interfaces/inbound.md" not in html
    page = client.get(spec)
    assert page.status_code == 200 and "/inbound/v1/" in page.content.decode()
