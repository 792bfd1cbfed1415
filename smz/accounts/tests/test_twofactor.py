"""Issue 10 item 10: 两步验证 (TOTP) for the city's and the authorities' accounts (等保三级)."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from conftest import PASSWORD
from smz.accounts import twofactor
from smz.accounts.models import RecoveryCode, TotpDevice
from smz.core.models import Event

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890", RFC 6238 appendix B


@pytest.mark.parametrize(
    ("unix", "code"), [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924")]
)
def test_issue10_item10_totp_matches_the_rfc_6238_vectors(unix, code):
    step = twofactor.current_step(at=unix)
    assert twofactor.totp(secret=RFC_SECRET, step=step, digits=8) == code
    assert twofactor.totp(secret=RFC_SECRET, step=step) == code[-6:]


def _password_login(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _now_code(secret: str, offset: int = 0) -> str:
    return twofactor.totp(secret=secret, step=twofactor.current_step() + offset)


def _enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get("/2fa/setup/?next=/projects/").content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    wrong = client.post("/2fa/setup/", {"code": "000000", "next": "/projects/"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.content.decode()
    done = client.post("/2fa/setup/", {"code": _now_code(secret), "next": "/projects/"})
    assert done.status_code == 200
    codes = re.findall(r"<li class=\"col\">(\d{5}-\d{5})</li>", done.content.decode())
    assert len(codes) == 10
    return secret, codes


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_city_admin_is_refused_everything_until_enrolled(world):
    client = _password_login("city_admin")
    response = client.get("/projects/")
    assert response.status_code == 302 and response.url.startswith("/2fa/setup/?next=")
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "auth.second_factor_required"
    assert client.get("/accounts/").status_code == 302
    secret, _ = _enrol(client)
    assert client.get("/projects/").status_code == 200
    assert client.get("/api/v1/me").json()["username"] == "city_admin"
    device = TotpDevice.objects.get(user=world.user("city_admin"))
    assert device.secret == secret
    assert Event.objects.filter(kind="user.2fa_enrolled").count() == 1
    assert RecoveryCode.objects.filter(user=device.user).count() == 10


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_after_the_password_the_code_is_asked_again(world):
    secret, codes = _enrol(_password_login("town_l1"))
    client = _password_login("town_l1")
    response = client.get("/projects/")
    assert response.status_code == 302 and response.url.startswith("/2fa/verify/")
    bad = client.post("/2fa/verify/", {"code": "123456", "next": "/projects/"})
    assert bad.status_code == 422 and client.get("/projects/").status_code == 302
    good = client.post("/2fa/verify/", {"code": _now_code(secret, 1), "next": "/projects/"})
    assert (good.status_code, good.url) == (302, "/projects/")
    assert client.get("/projects/").status_code == 200
    # The same code cannot be used twice (replay), a recovery code works once.
    again = _password_login("town_l1")
    assert again.post("/2fa/verify/", {"code": _now_code(secret, 1)}).status_code == 422
    assert again.post("/2fa/verify/", {"code": codes[0]}).status_code == 302
    third = _password_login("town_l1")
    assert third.post("/2fa/verify/", {"code": codes[0]}).status_code == 422
    assert Event.objects.filter(kind="user.2fa_recovery_used").count() == 1


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_five_wrong_codes_lock_the_second_factor(world):
    secret, _ = _enrol(_password_login("city_admin"))
    client = _password_login("city_admin")
    for _ in range(5):
        assert client.post("/2fa/verify/", {"code": "000000"}).status_code == 422
    locked = client.post("/2fa/verify/", {"code": _now_code(secret)})
    assert locked.status_code == 429 and "分钟后再试" in locked.content.decode()


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_enterprise_staff_need_no_second_factor(world):
    client = _password_login("gc_labor")
    assert client.get("/projects/").status_code == 200


@override_settings(SMZ_REQUIRE_2FA=False)
def test_issue10_item10_without_enforcement_only_enrolled_accounts_are_asked(world):
    assert _password_login("city_admin").get("/projects/").status_code == 200
    _enrol(_password_login("city_admin"))
    response = _password_login("city_admin").get("/projects/")
    assert response.status_code == 302 and response.url.startswith("/2fa/verify/")


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_a_machine_token_is_its_own_credential(world):
    from smz.accounts.services import api_token_create

    user = world.user("city_admin")
    raw = api_token_create(actor=user, user=user, name="市级对接")
    response = Client().get("/api/v1/me", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["username"] == "city_admin"


@override_settings(SMZ_REQUIRE_2FA=True)
def test_issue10_item10_a_superuser_owes_the_second_factor_at_the_admin_site(world):
    from smz.accounts.models import User

    User.objects.create_superuser(username="root", password=PASSWORD, role="")
    client = Client()
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/2fa/setup/")


def test_issue10_item10_the_second_factor_pages_are_for_staff(world, client, as_user):
    assert client.get("/2fa/setup/").status_code == 302
    assert as_user("worker").get("/2fa/setup/").status_code == 404
    assert as_user("gc_labor").get("/2fa/setup/").status_code == 200
