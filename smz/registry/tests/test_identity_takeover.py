"""Issue 10 items 1 and 2: knowing a person's ID number gives no right over his data and no look at it.

Item 1 (wage-card and phone takeover): only the person's own employer changes his phone or wage card, with a
reason and evidence, or the worker himself after a code to his old phone (smz/accounts/tests/test_my_profile.py);
every change is an event he sees. Item 2 (identity lookup): an out-of-scope person's number answers one 409
that says nothing about him; a match inside the scope is audited like a reveal.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings

from conftest import make_worker
from smz.accounts.sms import LocmemBackend
from smz.core.models import Event, PersonalDataAccess
from smz.registry import services, worker_codes
from smz.registry.models import Employment, Worker
from smz.registry.services import WorkerData
from smz.registry.synthetic import synthetic_id_number
from smz.testing.errors import refused
from smz.testing.registry import person, roster_xlsx, upload

API = "/api/v1"
VICTIM_PHONE = "13900008888"
ATTACKER_PHONE = "13700006666"
ATTACKER_CARD = "6222000011112222333"
STORED = ("name", "phone", "bank_card", "bank_code", "bank_name", "address", "nation")


def _post(client: Client, path: str, body: dict):
    return client.post(API + path, body, content_type="application/json")


def _patch(client: Client, path: str, body: dict):
    return client.patch(API + path, body, content_type="application/json")


def _snapshot(worker: Worker) -> dict:
    worker = Worker.objects.get(pk=worker.pk)
    return {f: getattr(worker, f) for f in STORED} | {
        "face": worker.face_photo.name,
        "card_photo": worker.card_photo.name,
    }


@pytest.fixture
def sms():
    with override_settings(
        SMS_BACKEND="smz.accounts.sms.LocmemBackend",
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    ):
        LocmemBackend.outbox.clear()
        yield LocmemBackend.outbox
        LocmemBackend.outbox.clear()


@pytest.fixture
def unemployed(world) -> Worker:
    """A person registered in the city (here by a card reading) who has no employment yet."""
    return make_worker(80, "待岗工人", phone=VICTIM_PHONE)


def _attack(idn: str, name: str = "冒名顶替") -> dict:
    return {
        "id_number": idn,
        "name": name,
        "phone": ATTACKER_PHONE,
        "bank_card": ATTACKER_CARD,
        "bank_code": "105",
        "bank_name": "攻击者开户行",
        "address": "攻击者住址",
        "nation": "02",
    }


# --- item 1: takeover through POST /workers -----------------------------------------------------


def test_issue10_1_other_enterprise_cannot_overwrite_an_unemployed_persons_card_and_phone(
    as_user, unemployed
):
    before = _snapshot(unemployed)
    response = _post(as_user("neighbour_labor"), "/workers", _attack(unemployed.id_number))
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "registry.worker_exists_other_employer"
    assert _snapshot(unemployed) == before
    assert not Event.objects.filter(subject_id=unemployed.pk, kind__startswith="worker.").exists()


def test_issue10_1_the_attackers_phone_does_not_log_in_as_the_person(
    as_user, unemployed, sms, django_capture_on_commit_callbacks
):
    _post(as_user("neighbour_labor"), "/workers", _attack(unemployed.id_number))
    with django_capture_on_commit_callbacks(execute=True):
        worker_codes.login_code_send(phone=ATTACKER_PHONE, ip="203.0.113.9")
    assert not [to for to, _ in sms if to == ATTACKER_PHONE], "no code goes to the attacker"


def test_issue10_1_patch_by_a_non_employer_is_refused(as_user, world):
    gc_worker = world.workers["gc"]
    before = _snapshot(gc_worker)
    response = _patch(
        as_user("sub_labor"),
        f"/workers/{gc_worker.pk}",
        {"bank_card": ATTACKER_CARD, "change_reason": "本人申请", "evidence_ref": "申请表1"},
    )
    assert response.status_code in (403, 404)
    assert _snapshot(gc_worker) == before


def test_issue10_1_employer_change_requires_reason_and_evidence_and_is_an_event(
    as_user, world, sms, django_capture_on_commit_callbacks
):
    gc_worker = world.workers["gc"]
    old_phone = gc_worker.phone
    client = as_user("gc_labor")
    refused = _patch(client, f"/workers/{gc_worker.pk}", {"bank_card": ATTACKER_CARD})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "registry.change_evidence_required"
    assert {"change_reason", "evidence_ref", "bank_card"} <= set(body["detail"]["fields"])
    assert Worker.objects.get(pk=gc_worker.pk).bank_card == "6222020200112233445"

    with django_capture_on_commit_callbacks(execute=True):
        done = _patch(
            client,
            f"/workers/{gc_worker.pk}",
            {
                "bank_card": "6217000011112222",
                "bank_name": "中国建设银行中山分行",
                "change_reason": "原工资卡挂失，本人申请更换",
                "evidence_ref": "本人签字的工资卡变更申请表，劳资档案2026-12第3号",
            },
        )
    assert done.status_code == 200, done.content
    assert done.json()["bank_card_masked"] == "6217 **** **** 2222"
    assert Worker.objects.get(pk=gc_worker.pk).bank_card == "6217000011112222"
    event = Event.objects.get(subject_id=gc_worker.pk, kind="worker.contact_changed")
    assert event.actor == world.user("gc_labor")
    assert event.data["fields"] == ["bank_card", "bank_name"]
    assert event.data["reason"] == "原工资卡挂失，本人申请更换"
    assert "劳资档案" in event.data["evidence_ref"]
    assert "6217000011112222" not in json.dumps(event.data)
    notices = [text for to, text in sms if to == old_phone]
    assert notices and "工资卡" in notices[-1] and "甲建设集团有限公司" in notices[-1]


def test_issue10_1_personal_numbers_are_refused_in_the_reason(as_user, world):
    response = _patch(
        as_user("gc_labor"),
        f"/workers/{world.workers['gc'].pk}",
        {"phone": "13911112222", "change_reason": "改为13911112222", "evidence_ref": "申请表"},
    )
    assert response.status_code == 422
    assert "change_reason" in response.json()["detail"]["fields"]


def test_issue10_1_worker_sees_the_change_on_his_own_page(as_user, world, client):
    me = world.workers["sub"]  # the "worker" persona
    services.worker_contact_change(
        actor=world.user("sub_labor"),
        worker=me,
        changes={"bank_card": "6217000011113333"},
        reason="本人申请更换工资卡",
        evidence_ref="变更申请表第7号",
    )
    page = as_user("worker").get("/me/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我的资料变更记录" in html and "乙劳务有限公司" in html
    assert "本人申请更换工资卡" in html and "变更申请表第7号" in html
    assert "6217000011113333" not in html and "6217 **** **** 3333" in html
    assert "no-store" in page["Cache-Control"]


# --- item 2: identity lookup by ID number --------------------------------------------------------


def test_issue10_2_out_of_scope_lookup_reveals_nothing(as_user, world, unemployed):
    victim = world.workers["gc"]  # on P1 with the GC; the neighbour GC's specialist cannot see him
    client = as_user("neighbour_labor")
    answers = []
    for target in (victim, unemployed):
        response = _post(client, "/workers", {"id_number": target.id_number, "name": "随便"})
        assert response.status_code == 409
        answers.append(response.content)
        body = response.json()
        assert set(body) == {"code", "message", "detail"} and body["detail"] == {}
        text = json.dumps(body, ensure_ascii=False)
        for secret in (
            target.name,
            str(target.birth_date),
            target.phone[-4:],
            target.bank_card[-4:],
            target.bank_name,
        ):
            assert secret not in text, secret
    assert answers[0] == answers[1], "one answer for everybody out of scope"
    assert _get_status(client, f"/workers/{victim.pk}") == 404


def _get_status(client: Client, path: str) -> int:
    return client.get(API + path).status_code


def test_issue10_2_in_scope_match_is_audited(as_user, world):
    gc_worker = world.workers["gc"]
    response = _post(
        as_user("gc_labor"), "/workers", {"id_number": gc_worker.id_number, "name": gc_worker.name}
    )
    assert response.status_code == 200 and response.json()["id"] == gc_worker.pk
    access = PersonalDataAccess.objects.get(subject_id=gc_worker.pk)
    assert access.actor == world.user("gc_labor") and access.field == "identity"


# --- the other registration paths: employment, roster import, ID-card reader --------------------


def _employment_body(world, idn: str, name: str) -> dict:
    return {
        "project_id": world.projects["p2"].pk,
        "corp_code": world.enterprises["neighbour"].corp_code,
        "team_id": world.teams["neighbour"].pk,
        "worker": _attack(idn, name),
        "work_type": "020",
        "entry_on": "2024-06-01",
    }


def test_issue10_1_new_employer_links_an_existing_person_without_changing_him(as_user, world):
    victim = world.workers["gc"]
    before = _snapshot(victim)
    client = as_user("neighbour_labor")
    wrong = _post(client, "/employments", _employment_body(world, victim.id_number, "冒名顶替"))
    assert wrong.status_code == 422 and wrong.json()["code"] == "registry.worker_name_mismatch"
    assert victim.name not in wrong.content.decode()
    assert not Employment.objects.filter(worker=victim, project=world.projects["p2"]).exists()

    linked = _post(client, "/employments", _employment_body(world, victim.id_number, victim.name))
    assert linked.status_code == 201, linked.content
    assert _snapshot(victim) == before, "taking a man on never overwrites his card or phone"
    assert PersonalDataAccess.objects.filter(
        subject_id=victim.pk, actor=world.user("neighbour_labor")
    ).exists()


def test_issue10_1_roster_import_cannot_take_over_a_person(as_user, world, unemployed):
    before = _snapshot(unemployed)
    row = person(
        world,
        60,
        employer="neighbour",
        team="neighbour",
        姓名=unemployed.name,
        证件号码=unemployed.id_number,
        手机号码=ATTACKER_PHONE,
        工资卡号=ATTACKER_CARD,
        住址="攻击者住址",
    )
    resp = upload(as_user("neighbour_labor"), world.projects["p2"].pk, roster_xlsx([row]))
    assert resp.status_code == 201, resp.json()
    assert _snapshot(unemployed) == before


def test_issue10_1_roster_import_of_own_man_with_another_card_is_a_row_error(as_user, world):
    mine = world.workers["gc"]
    Employment.objects.filter(worker=mine).update(status=Employment.Status.EXITED)
    row = person(world, 61, 姓名=mine.name, 证件号码=mine.id_number, 工资卡号=ATTACKER_CARD)
    world.employments["gc"].refresh_from_db()
    world.employ("p3", "gc")  # his current employment is with the GC on P3
    resp = upload(as_user("city_admin"), world.projects["p1"].pk, roster_xlsx([row]))
    assert resp.status_code == 422
    reasons = [r["field"] for r in resp.json()["detail"]["rows"]]
    assert reasons and reasons[0] in {"工资卡号", "手机号码"}
    assert Worker.objects.get(pk=mine.pk).bank_card == "6222020200112233445"


def test_issue10_1_the_service_refuses_a_self_change_without_the_code(world):
    with refused("forbidden"):
        services.worker_contact_change(
            actor=world.user("worker"),
            worker=world.workers["sub"],
            changes={"phone": "13711110000"},
        )


def test_issue10_1_registering_enterprise_may_correct_a_person_not_yet_employed(world):
    actor = world.user("sub_labor")
    idn = synthetic_id_number(birth=dt.date(1990, 6, 1), seq=810, male=True)
    worker, created = services.worker_upsert(
        actor=actor, data=WorkerData(id_card_type="01", id_number=idn, name="新登记")
    )
    assert created
    assert services.worker_may_edit(actor, worker)
    assert not services.worker_may_edit(world.user("neighbour_labor"), worker)
    assert not services.worker_may_edit(world.user("gc_labor"), worker)


# --- the portal form for the employer ------------------------------------------------------------


def test_issue10_1_portal_change_needs_evidence_and_shows_in_the_change_record(as_user, world):
    gc_worker = world.workers["gc"]
    url = f"/workers/{gc_worker.pk}/contact/"
    client = as_user("gc_labor")
    detail = client.get(f"/workers/{gc_worker.pk}/").content.decode()
    assert 'data-testid="contact-form"' in detail
    client.post(url, {"bank_card": "6217000011115555"})
    assert Worker.objects.get(pk=gc_worker.pk).bank_card == "6222020200112233445"
    client.post(
        url,
        {
            "bank_card": "6217000011115555",
            "change_reason": "原卡挂失",
            "evidence_ref": "变更申请表第9号",
        },
    )
    assert Worker.objects.get(pk=gc_worker.pk).bank_card == "6217000011115555"
    detail = client.get(f"/workers/{gc_worker.pk}/").content.decode()
    assert "原卡挂失" in detail and "变更申请表第9号" in detail
    assert "6217000011115555" not in detail


@pytest.mark.parametrize("persona", ["sub_labor", "neighbour_labor", "sup_manager", "gc_pm"])
def test_issue10_1_portal_change_refused_to_others(as_user, world, persona):
    gc_worker = world.workers["gc"]
    client = as_user(persona)
    response = client.post(
        f"/workers/{gc_worker.pk}/contact/",
        {"bank_card": ATTACKER_CARD, "change_reason": "本人申请", "evidence_ref": "申请表"},
    )
    assert response.status_code in (302, 404)
    assert Worker.objects.get(pk=gc_worker.pk).bank_card == "6222020200112233445"
    if response.status_code == 302:
        page = client.get(f"/workers/{gc_worker.pk}/").content.decode()
        assert 'data-testid="contact-form"' not in page
