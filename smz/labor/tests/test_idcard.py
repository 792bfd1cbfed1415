"""读卡登记 (A2): an ID-card reader uploads the card and the live face; the person is registered once (a retry
is a duplicate), bad card data is refused field by field, and the labor specialist registers the entry,
which stays off the gates until the entry checks pass."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.urls import reverse

from smz.devices.services import device_register
from smz.labor.models import IdCardScan
from smz.registry.models import Employment, Worker
from smz.registry.synthetic import synthetic_id_number
from smz.testing.devices import DeviceClient, jpeg

NUMBER = synthetic_id_number(birth=dt.date(1990, 6, 1), seq=321, male=True)


@pytest.fixture
def reader(world, client):
    device, secret = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="IDR-P1-01",
        kind="id_reader",
        protocol="direct_v1",
        entrance="东门登记处",
    )
    return DeviceClient(client, device, secret)


def card(**kw):
    return {
        "record_id": kw.pop("record_id", "r-1"),
        "card": {
            "name": "读卡新工",
            "gender": "1",
            "nation": "01",
            "id_number": NUMBER,
            "birth_date": "1990-06-01",
            "address": "广东省中山市小榄镇",
            "grant_org": "中山市公安局",
            "valid_from": "2020-01-01",
            "valid_to": "2040-01-01",
            "photo": base64.b64encode(jpeg(102, 126)).decode(),
        }
        | kw.pop("card", {}),
        "face": base64.b64encode(kw.pop("face", jpeg(640, 480))).decode(),
    }


def test_r_a2_card_read_registers_the_person_once(world, reader):
    first = reader.post("/device/v1/id-cards", card())
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert first.json()["face_ok"] is True
    again = reader.post("/device/v1/id-cards", card())
    assert again.json() == first.json() | {"status": "duplicate"}
    worker = Worker.objects.get(pk=first.json()["person_id"])
    assert worker.name == "读卡新工" and worker.card_photo and worker.face_photo
    assert worker.id_valid_to == dt.date(2040, 1, 1)
    assert IdCardScan.objects.count() == 1


def test_r_a2_bad_card_data_is_refused_by_field(world, reader):
    resp = reader.post(
        "/device/v1/id-cards",
        card(
            card={"id_number": NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1"), "valid_to": "x"}
        ),
    )
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    fields = resp.json()["detail"]["fields"]
    assert "card.id_number" in fields and "card.valid_to" in fields
    assert not Worker.objects.filter(name="读卡新工").exists()


def test_r_a2_a_card_refreshes_identity_not_phone_or_bank(world, reader):
    known = world.workers["gc"]
    phone, bank = known.phone, known.bank_card
    reader.post(
        "/device/v1/id-cards",
        card(
            card={"id_number": known.id_number, "name": known.name, "address": "新住址"},
            face=jpeg(640, 480, face=False),
        ),
    )
    known.refresh_from_db()
    assert known.address == "新住址" and known.phone == phone and known.bank_card == bank
    scan = IdCardScan.objects.get()
    assert scan.face_ok is False and "人脸" in scan.face_problem


def test_r_a2_entry_desk_registers_pending_entry(world, reader, as_user):
    reader.post("/device/v1/id-cards", card())
    scan = IdCardScan.objects.get()
    hub = reverse("labor:project", args=[world.projects["p1"].pk])
    no_team = as_user("sub_labor").post(
        hub,
        {
            "form": "scan",
            "scan": scan.pk,
            "employer": world.enterprises["sub"].pk,
            "work_type": "020",
        },
        follow=True,
    )
    assert "建筑工人必须属于一个班组" in no_team.content.decode()
    hub = reverse("labor:project", args=[world.projects["p1"].pk])
    assert "读卡新工" in as_user("sub_labor").get(hub).content.decode()
    assert "读卡新工" not in as_user("neighbour_labor").get(hub).content.decode()
    resp = as_user("sub_labor").post(
        hub,
        {
            "form": "scan",
            "scan": scan.pk,
            "employer": world.enterprises["sub"].pk,
            "team": world.teams["sub"].pk,
            "work_type": "020",
            "entry_on": dt.date.today().isoformat(),  # noqa: DTZ011 - a date typed in the form
        },
    )
    from django.contrib.messages import get_messages

    assert resp.status_code == 302, resp.content
    msgs = [str(m) for m in get_messages(resp.wsgi_request)]
    employment = Employment.objects.filter(worker=scan.worker, project=world.projects["p1"]).first()
    assert employment is not None, msgs
    assert resp.url == reverse("labor:entry", args=[employment.pk])
    assert employment.gate_status == "pending"
    scan.refresh_from_db()
    assert scan.status == IdCardScan.Status.REGISTERED and scan.employment == employment


def test_r_a2_typed_entry_with_a_card_photo(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    hub = reverse("labor:project", args=[world.projects["p1"].pk])
    form = {
        "form": "typed",
        "name": "手录新工",
        "id_number": NUMBER,
        "nation": "01",
        "address": "广东省中山市",
        "phone": "13900002222",
        "bank_card": "6222020200119988776",
        "bank_code": "102",
        "bank_name": "中国工商银行中山分行",
        "employer": world.enterprises["sub"].pk,
        "team": world.teams["sub"].pk,
        "work_type": "020",
    }
    c = as_user("sub_labor")
    missing = c.post(hub, form, follow=True).content.decode()
    assert "请上传身份证照片" in missing and not Worker.objects.filter(name="手录新工").exists()
    resp = c.post(
        hub, form | {"card_photo": SimpleUploadedFile("card.jpg", jpeg(320, 200), "image/jpeg")}
    )
    worker = Worker.objects.get(name="手录新工")
    employment = Employment.objects.get(worker=worker)
    assert resp.url == reverse("labor:entry", args=[employment.pk])
    assert (
        worker.card_photo and worker.phone == "13900002222" and employment.gate_status == "pending"
    )
    refused = as_user("neighbour_labor").post(hub, form | {"name": "别家"}, follow=True)
    assert refused.status_code == 404 and not Worker.objects.filter(name="别家").exists()


def test_i10_11_a_reader_face_for_an_admitted_person_goes_to_the_zkteco_terminals(
    world, reader, django_capture_on_commit_callbacks
):
    """Issue 10 item 11: the live face read at the reader reaches the site's ZKTeco terminals."""
    zk, _ = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="ZK-P1-09",
        kind="face_gate",
        protocol="zkteco_push",
        entrance="北门",
    )
    known = world.workers["gc"]
    with django_capture_on_commit_callbacks(execute=True):
        r = reader.post(
            "/device/v1/id-cards",
            card(card={"id_number": known.id_number, "name": known.name}),
        )
    assert r.json()["face_ok"] is True
    assert zk.commands.get(kind="sync_people").payload == {"workers": [known.pk]}


@pytest.mark.parametrize(
    "validity", [{"valid_to": "长期"}, {"valid_to": None, "long_term": True}, {"long_term": True}]
)
def test_item11_a_long_term_id_card_is_accepted_and_stored_without_end(world, reader, validity):
    """A card valid for life prints 长期 as its end (issue 10 item 11): accepted, stored as no end date."""
    payload = card()
    payload["card"] = {k: v for k, v in payload["card"].items() if k != "valid_to"} | validity
    r = reader.post("/device/v1/id-cards", payload)
    assert r.status_code == 200, r.content
    assert Worker.objects.get(pk=r.json()["person_id"]).id_valid_to is None


def test_item11_a_renewed_long_term_card_ends_the_old_end_date(world, reader):
    first = reader.post("/device/v1/id-cards", card()).json()
    assert Worker.objects.get(pk=first["person_id"]).id_valid_to == dt.date(2040, 1, 1)
    # He starts on the reader's site; a reading refreshes only people on its project (issue 10 item 1).
    world.workers["reader"] = Worker.objects.get(pk=first["person_id"])
    world.employ("p1", "reader")
    reader.post("/device/v1/id-cards", card(record_id="r-2", card={"valid_to": "长期"}))
    assert Worker.objects.get(pk=first["person_id"]).id_valid_to is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"record_id": "r\x00"}, "record_id"),
        ({"record_id": "r" * 65}, "record_id"),
        ({"record_id": 7}, "record_id"),
        ({"card": {"name": "张\x00三"}}, "card.name"),
        ({"card": {"address": ["x"]}}, "card.address"),
    ],
)
def test_item7_id_card_text_with_nul_or_wrong_type_is_422_by_field(world, reader, changes, field):
    payload = card(card=changes.pop("card", {})) | changes
    r = reader.post("/device/v1/id-cards", payload)
    assert r.status_code == 422, r.content
    assert field in r.json()["detail"]["fields"]


def test_issue10_1_a_card_read_elsewhere_does_not_rewrite_the_person(world, reader):
    """A reader on P1 posting the number of a man who works on P2 only changes nothing of him."""
    victim = world.workers["neighbour"]
    Worker.objects.filter(pk=victim.pk).update(address="本人住址")
    victim.refresh_from_db()
    before = (victim.name, victim.address, victim.face_photo.name, victim.card_photo.name)
    response = reader.post(
        "/device/v1/id-cards",
        card(card={"id_number": victim.id_number, "name": "冒名顶替", "address": "攻击者住址"}),
    )
    assert response.status_code == 200, response.content
    assert response.json()["face_ok"] is True
    victim.refresh_from_db()
    assert (victim.name, victim.address, victim.face_photo.name, victim.card_photo.name) == before
