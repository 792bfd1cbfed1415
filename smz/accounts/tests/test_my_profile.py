"""Issue 10 item 1: a worker changes his own phone or wage card at /me/profile/ only with a code texted to his
OLD phone; the change is an event on his 我的资料变更记录; the new phone then logs him in.

Persona "worker" is world.workers["sub"] (phone 13800001234); everybody else gets a number of his own.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings

from smz.accounts.sms import LocmemBackend
from smz.core import crypto
from smz.core.models import Event
from smz.registry.models import Worker

PROFILE = "/me/profile/"
OLD_PHONE = "13800001234"
NEW_PHONE = "13766665555"


@pytest.fixture
def sms(world):
    for n, key in enumerate(["gc", "neighbour", "pm"]):
        world.workers[key].phone = f"1390000200{n + 1}"
        world.workers[key].save(update_fields=["phone"])
    with override_settings(
        SMS_BACKEND="smz.accounts.sms.LocmemBackend",
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    ):
        LocmemBackend.outbox.clear()
        yield LocmemBackend.outbox
        LocmemBackend.outbox.clear()


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def do(client: Client, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(PROFILE, data)

    return do


def _code(outbox, phone: str) -> str:
    sent = [text for to, text in outbox if to == phone]
    assert sent, "no text to that phone"
    return re.search(r"验证码 (\d{6})", sent[-1]).group(1)


def test_issue10_1_worker_changes_his_phone_with_a_code_to_the_old_number(
    as_user, world, sms, post, django_capture_on_commit_callbacks
):
    me = world.workers["sub"]
    page = as_user("worker")
    asked = post(page, {"form": "request", "phone": NEW_PHONE})
    assert asked.status_code == 302
    assert [to for to, _ in sms] == [OLD_PHONE], "the code goes to the old number only"
    assert "手机号码" in sms[0][1]
    assert Worker.objects.get(pk=me.pk).phone == OLD_PHONE, "nothing changes before the code"

    wrong = post(page, {"form": "confirm", "code": "000000"})
    assert wrong.status_code == 400
    assert Worker.objects.get(pk=me.pk).phone == OLD_PHONE

    done = post(page, {"form": "confirm", "code": _code(sms, OLD_PHONE)})
    assert done.status_code == 302
    assert Worker.objects.get(pk=me.pk).phone == NEW_PHONE
    event = Event.objects.get(subject_id=me.pk, kind="worker.contact_changed")
    assert event.data["via"] == "self" and event.data["fields"] == ["phone"]
    html = page.get(PROFILE).content.decode()
    assert "我的资料变更记录" in html and "本人" in html and "手机号码" in html
    assert NEW_PHONE not in html

    # The new number logs him in; the old one no longer does.
    fresh = Client()
    with django_capture_on_commit_callbacks(execute=True):
        fresh.post("/w/login/", {"phone": NEW_PHONE})
    fresh.post("/w/login/verify/", {"code": _code(sms, NEW_PHONE)})
    assert int(fresh.session[SESSION_KEY]) == world.user("worker").pk


def test_issue10_1_a_change_code_confirms_only_the_change_it_was_sent_for(
    as_user, world, sms, post
):
    me = world.workers["sub"]
    page = as_user("worker")
    post(page, {"form": "request", "bank_card": "6217000011114444", "bank_name": "建行中山分行"})
    code = _code(sms, OLD_PHONE)
    assert "工资卡" in sms[-1][1]
    # Swap the pending change in the session: the code no longer matches.
    session = page.session
    session["my_profile_change"] = crypto.encrypt('{"bank_card": "6217000099998888"}')
    session.save()
    refused = post(page, {"form": "confirm", "code": code})
    assert refused.status_code == 400
    assert Worker.objects.get(pk=me.pk).bank_card == "6222020200112233445"


def test_issue10_1_a_login_code_does_not_confirm_a_change(
    as_user, world, sms, post, django_capture_on_commit_callbacks
):
    page = as_user("worker")
    post(page, {"form": "request", "phone": NEW_PHONE})
    other = Client()
    with django_capture_on_commit_callbacks(execute=True):
        other.post("/w/login/", {"phone": OLD_PHONE})
    login_code = _code(sms, OLD_PHONE)
    refused = post(page, {"form": "confirm", "code": login_code})
    assert refused.status_code == 400
    assert Worker.objects.get(pk=world.workers["sub"].pk).phone == OLD_PHONE


def test_issue10_1_bad_new_values_are_refused_by_field(as_user, sms, post):
    response = post(as_user("worker"), {"form": "request", "phone": "123"})
    assert response.status_code == 422
    assert "手机号码应为以1开头的11位数字" in response.content.decode()
    assert sms == []


@pytest.mark.parametrize("persona", ["gc_labor", "city_admin", "outsider"])
def test_issue10_1_profile_is_the_workers_own(as_user, persona):
    assert as_user(persona).get(PROFILE).status_code == 404


def test_issue10_1_profile_needs_a_login(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response["Location"].startswith("/w/login/")


def test_issue10_1_no_old_phone_means_no_self_service(as_user, world, sms, post):
    Worker.objects.filter(pk=world.workers["sub"].pk).update(phone="", phone_index="")
    response = post(as_user("worker"), {"form": "request", "phone": NEW_PHONE})
    assert response.status_code == 409
    assert "劳资专管员" in response.content.decode()
    assert sms == []


def test_issue10_1_change_codes_are_rate_limited(as_user, world, sms, post):
    page = as_user("worker")
    assert post(page, {"form": "request", "phone": NEW_PHONE}).status_code == 302
    page.post(PROFILE, {"form": "cancel"})
    again = post(page, {"form": "request", "phone": NEW_PHONE})
    assert again.status_code == 429
    assert len(sms) == 1
