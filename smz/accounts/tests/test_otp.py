"""Worker login by phone and texted code (N2: smz/registry/worker_codes.py on the machinery of
smz/accounts/otp.py): send, verify, limits, first-login account, and no phone leaks.

Personas from conftest: "worker" is the account of world.workers["sub"]; world.workers["gc"] has no account.
make_worker gives everybody 13800001234, so the `phones` fixture gives each person a number of his own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import PASSWORD
from smz.accounts import otp
from smz.accounts.checks import sms_backend_check
from smz.accounts.models import LoginCode, Role, User
from smz.accounts.sms import ConsoleBackend, LocmemBackend, send_sms
from smz.core.errors import DomainError
from smz.core.models import Event
from smz.registry import worker_codes

LOGIN = "/w/login/"
VERIFY = "/w/login/verify/"
SUB_PHONE = "13800001234"  # world.workers["sub"], the "worker" persona
GC_PHONE = "13900002001"  # world.workers["gc"], no account yet
UNKNOWN_PHONE = "13700009999"

pytestmark = pytest.mark.usefixtures("locmem_sms")


@pytest.fixture
def locmem_sms():
    # Tasks run at once here, so a code reaches the outbox when the request's transaction commits.
    with override_settings(
        SMS_BACKEND="smz.accounts.sms.LocmemBackend",
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    ):
        LocmemBackend.outbox.clear()
        yield LocmemBackend.outbox
        LocmemBackend.outbox.clear()


@pytest.fixture
def phones(world):
    """A phone of his own for everybody but the "worker" persona (saved, so the blind index follows)."""
    for n, key in enumerate(["gc", "neighbour", "pm"]):
        worker = world.workers[key]
        worker.phone = f"1390000200{n + 1}"
        worker.save(update_fields=["phone"])
    return world


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Ask for a code through the page, running the after-commit SMS; returns the response."""

    def do(client: Client, phone: str, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LOGIN + extra.pop("query", ""), {"phone": phone, **extra})

    return do


def _code(outbox, phone: str) -> str:
    sent = [text for to, text in outbox if to == phone]
    assert sent, f"no SMS to {phone[:3]}…"
    return re.search(r"验证码 (\d{6})", sent[-1]).group(1)


def _logged_in_as(client: Client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def test_n2_send_texts_a_six_digit_code_and_stores_only_its_hash(phones, send, locmem_sms):
    client = Client()
    response = send(client, SUB_PHONE)
    assert response.status_code == 302 and response.url == VERIFY
    assert SUB_PHONE not in response.url
    assert len(locmem_sms) == 1
    to, text = locmem_sms[0]
    assert to == SUB_PHONE
    code = _code(locmem_sms, SUB_PHONE)
    assert text == f"【中山实名制平台】验证码 {code}，5分钟内有效。如非本人操作请忽略。"
    row = LoginCode.objects.get()
    assert code not in row.code_hash and SUB_PHONE not in row.phone_index
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
    assert row.ip == "127.0.0.1"
    # the session keeps the phone between the steps, encrypted
    assert SUB_PHONE not in json.dumps(dict(client.session))
    page = client.get(VERIFY)
    assert "138****1234" in page.content.decode()


def test_n2_verify_logs_the_worker_in_and_lands_on_his_wages(phones, send, locmem_sms):
    client = Client()
    send(client, SUB_PHONE)
    response = client.post(VERIFY, {"code": _code(locmem_sms, SUB_PHONE)})
    assert response.status_code == 302 and response.url == "/me/wages/"
    assert _logged_in_as(client) == phones.user("worker")
    assert "我的工资" in client.get("/me/wages/").content.decode()
    assert LoginCode.objects.get().used_at is not None
    event = Event.objects.get(kind="worker.login_otp")
    assert event.subject_id == phones.workers["sub"].pk and event.actor == phones.user("worker")
    assert event.data == {"user": phones.user("worker").pk, "account_created": False}


def test_n2_next_is_followed_only_when_local(phones, send, locmem_sms):
    client = Client()
    response = send(client, SUB_PHONE, query="?next=/workers/")
    assert response.url == VERIFY + "?next=%2Fworkers%2F"
    response = client.post(
        response.url, {"code": _code(locmem_sms, SUB_PHONE), "next": "/workers/"}
    )
    assert response.url == "/workers/"

    other = Client()
    send(other, GC_PHONE)
    code = _code(locmem_sms, GC_PHONE)
    response = other.post(VERIFY, {"code": code, "next": "https://evil.example/steal"})
    assert response.url == "/me/wages/"


def test_n2_five_wrong_codes_burn_the_code(phones, send, locmem_sms):
    client = Client()
    send(client, SUB_PHONE)
    code = _code(locmem_sms, SUB_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for left in [4, 3, 2, 1]:
        response = client.post(VERIFY, {"code": wrong})
        assert f"验证码错误，还可尝试{left}次" in response.content.decode()
    response = client.post(VERIFY, {"code": wrong})
    assert "错误次数过多" in response.content.decode()
    response = client.post(VERIFY, {"code": code})
    assert "错误次数过多" in response.content.decode()
    assert _logged_in_as(client) is None
    assert LoginCode.objects.get().attempts == otp.MAX_ATTEMPTS


def test_n2_expired_code_is_refused(phones, send, locmem_sms):
    client = Client()
    send(client, SUB_PHONE)
    now = timezone.now()
    LoginCode.objects.update(
        created_at=now - dt.timedelta(minutes=6), expires_at=now - dt.timedelta(minutes=1)
    )
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_verify(phone=SUB_PHONE, code=_code(locmem_sms, SUB_PHONE))
    assert exc.value.code == "auth.otp_expired" and "已过期" in exc.value.message
    response = client.post(VERIFY, {"code": _code(locmem_sms, SUB_PHONE)})
    assert "验证码已过期" in response.content.decode()
    assert _logged_in_as(client) is None


def test_n2_a_used_code_cannot_be_reused(phones, send, locmem_sms):
    send(Client(), SUB_PHONE)
    code = _code(locmem_sms, SUB_PHONE)
    assert worker_codes.login_code_verify(phone=SUB_PHONE, code=code) == phones.user("worker")
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_verify(phone=SUB_PHONE, code=code)
    assert exc.value.code == "auth.otp_invalid" and "已使用" in exc.value.message


def test_n2_resend_replaces_the_code(phones, send, locmem_sms, django_capture_on_commit_callbacks):
    client = Client()
    send(client, SUB_PHONE)
    first = _code(locmem_sms, SUB_PHONE)
    LoginCode.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"resend": "1"})
    assert response.status_code == 200 and len(locmem_sms) == 2
    second = _code(locmem_sms, SUB_PHONE)
    if first != second:  # one in a million they match
        assert "验证码错误" in client.post(VERIFY, {"code": first}).content.decode()
    assert client.post(VERIFY, {"code": second}).url == "/me/wages/"


def test_n2_rate_limits_per_phone(phones, send, locmem_sms):
    client = Client()
    send(client, SUB_PHONE)
    response = send(client, SUB_PHONE)
    assert response.status_code == 429
    assert re.search(r"请\d+秒后再试", response.content.decode())
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_send(phone=SUB_PHONE, ip=None)
    assert exc.value.code == "auth.otp_too_many" and 0 < exc.value.detail["retry_after"] <= 60
    for _ in range(4):
        LoginCode.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
        assert send(client, SUB_PHONE).status_code == 302
    LoginCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_send(phone=SUB_PHONE, ip=None)
    assert exc.value.code == "auth.otp_too_many"
    assert "1小时内获取验证码已达5次" in exc.value.message and "分钟后再试" in exc.value.message
    assert len(locmem_sms) == 5
    # another phone is not held up by this one
    worker_codes.login_code_send(phone=GC_PHONE, ip=None)


def test_n2_unknown_phone_gets_the_same_answer_and_no_sms(phones, send, locmem_sms):
    known, unknown = Client(), Client()
    a, b = send(known, SUB_PHONE), send(unknown, UNKNOWN_PHONE)
    assert (a.status_code, a.url) == (b.status_code, b.url)
    page_a = known.get(VERIFY).content.decode().replace("138****1234", "MASKED")
    page_b = unknown.get(VERIFY).content.decode().replace("137****9999", "MASKED")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", page_a) == strip.sub("", page_b)
    assert [to for to, _ in locmem_sms] == [SUB_PHONE]
    # rate limits and wrong-code answers are the same too
    assert send(unknown, UNKNOWN_PHONE).status_code == send(known, SUB_PHONE).status_code == 429
    response = unknown.post(VERIFY, {"code": "123456"})
    assert "验证码错误，还可尝试4次" in response.content.decode()


def test_n2_invalid_phone_is_refused_in_chinese(phones, send, locmem_sms):
    response = send(Client(), "12345")
    assert "手机号码应为以1开头的11位数字" in response.content.decode()
    assert not LoginCode.objects.exists() and not locmem_sms


def test_n2_a_worker_without_an_account_gets_one_on_first_login(phones, send, locmem_sms):
    worker = phones.workers["gc"]
    assert not User.objects.filter(worker=worker).exists()
    client = Client()
    send(client, "+86 139 0000 2001")  # typed with the country code and spaces
    response = client.post(VERIFY, {"code": _code(locmem_sms, GC_PHONE)})
    assert response.url == "/me/wages/"
    user = User.objects.get(worker=worker)
    assert _logged_in_as(client) == user
    assert user.username == f"w{worker.pk}" and user.role == Role.WORKER
    assert user.display_name == worker.name and not user.has_usable_password()
    event = Event.objects.get(kind="worker.login_otp")
    assert event.data == {"user": user.pk, "account_created": True}
    # the second login uses the same account
    client.logout()
    LoginCode.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    send(client, GC_PHONE)
    client.post(VERIFY, {"code": _code(locmem_sms, GC_PHONE)})
    assert _logged_in_as(client) == user and User.objects.filter(worker=worker).count() == 1


def test_n2_a_phone_shared_by_several_people_is_refused(world, send, locmem_sms):
    # conftest gives every worker 13800001234: the code proves the phone, not which of them he is
    client = Client()
    send(client, SUB_PHONE)
    response = client.post(VERIFY, {"code": _code(locmem_sms, SUB_PHONE)})
    assert response.status_code == 409
    assert "劳资专管员" in response.content.decode()
    assert _logged_in_as(client) is None
    assert not Event.objects.filter(kind="worker.login_otp").exists()
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_verify(phone=SUB_PHONE, code="000000")
    assert exc.value.code == "auth.otp_invalid"  # the code was consumed by the refused login


def test_n2_a_disabled_worker_account_gets_no_code(phones, send, locmem_sms):
    user = phones.user("worker")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = send(Client(), SUB_PHONE)
    assert response.status_code == 302 and not locmem_sms


def test_n2_staff_login_still_works_and_links_to_the_worker_login(phones):
    client = Client()
    page = client.get("/login/").content.decode()
    assert "工人手机号登录" in page and 'href="/w/login/"' in page
    response = client.post("/login/", {"username": "gc_labor", "password": PASSWORD})
    assert response.status_code == 302 and _logged_in_as(client) == phones.user("gc_labor")
    # a signed-in staff member is sent home, not into the worker login
    assert client.get(LOGIN).url == "/"


def test_n2_verify_without_a_phone_in_the_session_goes_back_to_step_one(phones):
    response = Client().get(VERIFY)
    assert response.status_code == 302 and response.url == LOGIN


def test_n2_the_phone_never_reaches_logs_or_events(phones, send, caplog):
    caplog.set_level(logging.DEBUG)
    client, stranger = Client(), Client()
    with override_settings(SMS_BACKEND="smz.accounts.sms.ConsoleBackend"):
        send(client, SUB_PHONE)
        client.post(VERIFY, {"code": "000000"})
        # development reads the code from the console log, where the phone is masked
        code = re.search(r"SMS to 138\*\*\*\*1234: .*验证码 (\d{6})", caplog.text).group(1)
        client.post(VERIFY, {"code": code})
        assert _logged_in_as(client) == phones.user("worker")
        send(stranger, UNKNOWN_PHONE)
        send(stranger, UNKNOWN_PHONE)  # rate limited
        send(Client(), GC_PHONE)
        Client().post(LOGIN, {"phone": "12345"})
    assert caplog.text.count("SMS to ") == 2
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for phone in [SUB_PHONE, GC_PHONE, UNKNOWN_PHONE, "12345"]:
        assert phone not in text
    events = json.dumps(list(Event.objects.values()), default=str)
    assert "worker.login_otp" in events
    for phone in [SUB_PHONE, GC_PHONE, UNKNOWN_PHONE]:
        assert phone not in events


def test_n2_console_backend_masks_the_phone_but_shows_the_code(caplog):
    caplog.set_level(logging.INFO, logger="smz.sms")
    ConsoleBackend().send(SUB_PHONE, "验证码 654321")
    assert "SMS to 138****1234: 验证码 654321" in caplog.text
    assert SUB_PHONE not in caplog.text


def test_n2_send_sms_uses_the_configured_backend(locmem_sms):
    send_sms(SUB_PHONE, "你好")
    assert locmem_sms == [(SUB_PHONE, "你好")]


def test_n2_deploy_check_warns_about_a_development_sms_backend():
    with override_settings(SMS_BACKEND="smz.accounts.sms.ConsoleBackend"):
        assert [m.id for m in sms_backend_check(None)] == ["smz.accounts.W001"]
    with override_settings(SMS_BACKEND="gateway.sms.ProductionBackend"):
        assert sms_backend_check(None) == []


def test_n2_texts_leave_the_request_through_a_sealed_task_for_every_number(
    phones, send, locmem_sms, settings
):
    """A registered number and a stranger's each queue one task; neither row shows the number or the code;
    only the worker's task texts anything once the worker runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send(Client(), SUB_PHONE)
    send(Client(), UNKNOWN_PHONE)
    assert locmem_sms == []  # nothing was sent inside the requests
    rows = list(DBTaskResult.objects.filter(task_path="smz.accounts.tasks.sms_deliver"))
    assert len(rows) == 2
    stored = json.dumps([r.args_kwargs for r in rows])
    assert SUB_PHONE not in stored and UNKNOWN_PHONE not in stored and "验证码" not in stored
    # What the db_worker does with each row (the worker itself closes the database connection when it is
    # done, which would end this test's transaction on PostgreSQL).
    results = [row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]) for row in rows]
    assert [to for to, _ in locmem_sms] == [SUB_PHONE]
    assert sorted(results) == [False, True]


@override_settings(SMZ_OTP_PER_ADDRESS_HOURLY=10)
def test_issue10_item10_code_requests_are_capped_per_address(phones, send, locmem_sms):
    numbers = [f"1370000{n:04d}" for n in range(10)]
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert all(send(client, number).status_code == 302 for number in numbers)
    # The eleventh number from the address is refused, a worker's the same as an unknown one, and not texted.
    for number in (SUB_PHONE, UNKNOWN_PHONE):
        response = send(client, number)
        assert response.status_code == 429
        assert "获取验证码的请求过多，请1小时后再试" in response.content.decode()
    assert locmem_sms == []
    assert send(Client(REMOTE_ADDR="198.51.100.9"), SUB_PHONE).status_code == 302
    assert [to for to, _ in locmem_sms] == [SUB_PHONE]
    # An hour later the address may ask again.
    LoginCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    assert send(client, GC_PHONE).status_code == 302


@override_settings(SMZ_OTP_GLOBAL_HOURLY=3)
def test_issue10_item10_code_requests_are_capped_for_the_whole_platform(phones, send, locmem_sms):
    for n in range(3):
        assert send(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), f"1370000{n:04d}").status_code == 302
    with pytest.raises(DomainError) as exc:
        worker_codes.login_code_send(phone=SUB_PHONE, ip="192.0.2.50")
    assert (exc.value.code, exc.value.status) == ("auth.otp_too_many", 429)
    assert "1370000" not in exc.value.message and exc.value.detail == {"retry_after": 3600}
    assert LoginCode.objects.count() == 3 and locmem_sms == []
