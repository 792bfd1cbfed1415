"""Accounts (P2, P3): password storage, lockout, administrator actions and their scope."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.messages import get_messages
from django.test import Client

from conftest import PASSWORD
from smz.accounts.models import User
from smz.accounts.selectors import locked_usernames, may_administer
from smz.accounts.services import user_reset_password, user_set_active
from smz.core.models import Event
from smz.testing.errors import refused

LOGIN = "/login/"


def _login(username: str, password: str) -> tuple[Client, object]:
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _reset(admin: Client, target: User) -> str:
    response = admin.post(f"/accounts/{target.pk}/reset/")
    assert response.status_code == 302
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    match = re.search(r"新密码：(\S+?)（", text)
    assert match, text
    return match.group(1)


def test_p2_passwords_are_stored_with_argon2(world):
    user = world.user("gc_labor")
    assert user.password.startswith("argon2")
    assert PASSWORD not in user.password
    fresh = User.objects.create_user(username="fresh", password="Another-pass-2026", role="")
    assert fresh.password.startswith("argon2$argon2id$")
    assert check_password("Another-pass-2026", fresh.password)


def test_p2_login_with_the_right_password(world):
    client, response = _login("gc_labor", PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert _logged_in(client)


def test_p2_wrong_password_is_refused_in_chinese(world):
    client, response = _login("gc_labor", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert not _logged_in(client)


def test_p2_five_failures_lock_the_account(world):
    for _ in range(5):
        _, response = _login("gc_labor", "wrong-password")
    client, response = _login("gc_labor", PASSWORD)
    assert not _logged_in(client)
    assert response.status_code in {403, 429}
    assert "锁定" in response.content.decode()
    assert locked_usernames(["gc_labor", "gc_pm"]) == {"gc_labor"}
    other, _ = _login("gc_pm", PASSWORD)
    assert _logged_in(other), "the lock is per account, not per address"


def test_p2_four_failures_do_not_lock(world):
    for _ in range(4):
        _login("gc_labor", "wrong-password")
    client, _ = _login("gc_labor", PASSWORD)
    assert _logged_in(client)


def test_p2_city_admin_reset_unlocks_and_the_new_password_works(world, as_user):
    target = world.user("gc_labor")
    for _ in range(5):
        _login("gc_labor", "wrong-password")
    page = as_user("city_admin").get("/accounts/")
    assert "已锁定" in page.content.decode()

    admin = as_user("city_admin")
    password = _reset(admin, target)
    assert password != PASSWORD and len(password) >= 12
    assert Event.objects.filter(kind="user.password_reset", subject_id=target.pk).exists()
    assert locked_usernames(["gc_labor"]) == set()

    old, _ = _login("gc_labor", PASSWORD)
    assert not _logged_in(old), "the old password no longer works"
    client, response = _login("gc_labor", password)
    assert response.status_code == 302 and _logged_in(client)
    target.refresh_from_db()
    assert target.password.startswith("argon2")


def test_p2_unlock_action(world, as_user):
    target = world.user("gc_pm")
    for _ in range(5):
        _login("gc_pm", "wrong-password")
    response = as_user("city_admin").post(f"/accounts/{target.pk}/unlock/")
    assert response.status_code == 302
    assert Event.objects.filter(kind="user.unlocked", subject_id=target.pk).exists()
    client, _ = _login("gc_pm", PASSWORD)
    assert _logged_in(client)


def test_p2_disable_blocks_login_and_enable_restores_it(world, as_user):
    target = world.user("sub_labor")
    admin = as_user("city_admin")
    assert admin.post(f"/accounts/{target.pk}/disable/").status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert Event.objects.filter(kind="user.disabled", subject_id=target.pk).exists()
    client, _ = _login("sub_labor", PASSWORD)
    assert not _logged_in(client)
    assert "已停用" in admin.get("/accounts/").content.decode()

    admin.post(f"/accounts/{target.pk}/enable/")
    client, _ = _login("sub_labor", PASSWORD)
    assert _logged_in(client)


def test_p2_a_disabled_session_is_logged_out(world, as_user):
    client = as_user("sub_labor")
    assert client.get("/projects/").status_code == 200
    user_set_active(actor=world.user("city_admin"), target=world.user("sub_labor"), active=False)
    response = client.get("/projects/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_p2_admin_cannot_disable_himself(world, as_user):
    admin = world.user("city_admin")
    with refused("forbidden"):
        user_set_active(actor=admin, target=admin, active=False)
    response = as_user("city_admin").post(f"/accounts/{admin.pk}/disable/", follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_p3_enterprise_admin_manages_only_own_enterprise(world, as_user):
    client = as_user("gc_admin")
    page = client.get("/accounts/").content.decode()
    for own in ("gc_labor", "gc_pm"):
        assert own in page
    for other in ("sub_labor", "neighbour_labor", "city_admin", "town_l1", "worker"):
        assert f"<td>{other}</td>" not in page

    own = world.user("gc_pm")
    password = _reset(client, own)
    _, response = _login("gc_pm", password)
    assert response.status_code == 302

    other = world.user("sub_labor")
    assert client.post(f"/accounts/{other.pk}/reset/").status_code == 404
    assert client.post(f"/accounts/{other.pk}/disable/").status_code == 404
    other.refresh_from_db()
    assert other.is_active and other.check_password(PASSWORD)


def test_p3_enterprise_admin_cannot_manage_another_enterprise_admin(world):
    gc_admin = world.user("gc_admin")
    assert not may_administer(gc_admin, gc_admin)
    with refused("forbidden"):
        user_reset_password(actor=gc_admin, target=gc_admin)
    assert may_administer(world.user("city_admin"), gc_admin)
    assert may_administer(gc_admin, world.user("gc_labor"))
    assert not may_administer(gc_admin, world.user("sub_labor"))


@pytest.mark.parametrize(
    "persona", ["neighbour_labor", "neighbour_town", "gc_labor", "worker", "outsider"]
)
def test_p3_non_administrators_are_refused(world, as_user, persona):
    client = as_user(persona)
    assert client.get("/accounts/").status_code == 404
    target = world.user("gc_pm")
    assert client.post(f"/accounts/{target.pk}/reset/").status_code == 404
    assert client.post(f"/accounts/{target.pk}/disable/").status_code == 404
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)
    assert not Event.objects.filter(kind__startswith="user.").exists()


def test_p2_account_actions_need_post_and_a_known_action(world, as_user):
    client = as_user("city_admin")
    target = world.user("gc_pm")
    assert client.get(f"/accounts/{target.pk}/reset/").status_code == 405
    assert client.post(f"/accounts/{target.pk}/promote/").status_code == 404


def test_p2_anonymous_is_sent_to_login(world, client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    target = world.user("gc_pm")
    response = client.post(f"/accounts/{target.pk}/reset/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
