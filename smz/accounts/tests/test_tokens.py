"""Issue 10 item 10: API tokens expire, record their last use, and rotate (the old one is refused at once)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from smz.accounts.models import ApiToken
from smz.accounts.services import api_token_create, api_token_rotate
from smz.core.errors import DomainError
from smz.core.models import Event

API = "/api/v1"


def _bearer(raw: str) -> dict[str, str]:
    return {"authorization": f"Bearer {raw}"}


def _unauthenticated(response) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == "unauthenticated"


def test_issue10_item10_a_token_expires_after_the_default_30_days(world):
    user = world.user("gc_labor")
    raw = api_token_create(actor=user, user=user, name="劳务对接")
    token = ApiToken.objects.get(user=user)
    assert token.expires_at - token.created_at == pytest.approx(
        dt.timedelta(days=30), abs=dt.timedelta(seconds=5)
    )
    client = Client()
    assert client.get(f"{API}/me", headers=_bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    with time_machine.travel(token.expires_at + dt.timedelta(seconds=1), tick=False):
        _unauthenticated(client.get(f"{API}/me", headers=_bearer(raw)))


@override_settings(SMZ_API_TOKEN_DAYS=7)
def test_issue10_item10_the_term_is_a_setting(world):
    user = world.user("gc_labor")
    api_token_create(actor=user, user=user, name="短期")
    token = ApiToken.objects.get(user=user)
    assert (token.expires_at - token.created_at).days == 6 or (
        token.expires_at - token.created_at
    ).days == 7
    assert token.expires_at <= timezone.now() + dt.timedelta(days=7)


def test_issue10_item10_rotation_issues_a_new_token_and_refuses_the_old(world):
    user = world.user("gc_labor")
    old_raw = api_token_create(actor=user, user=user, name="劳务对接")
    old = ApiToken.objects.get(user=user)
    client = Client()
    response = client.post(f"{API}/tokens/{old.pk}/rotate", headers=_bearer(old_raw))
    assert response.status_code == 201, response.content
    body = response.json()
    new_raw = body["token"]
    assert new_raw != old_raw and body["name"] == "劳务对接" and body["prefix"] == new_raw[:8]
    _unauthenticated(client.get(f"{API}/me", headers=_bearer(old_raw)))
    assert client.get(f"{API}/me", headers=_bearer(new_raw)).json()["username"] == "gc_labor"
    old.refresh_from_db()
    assert old.revoked_at is not None and old.replaced_by_id == body["id"]
    assert Event.objects.filter(kind="api_token.rotated").count() == 1
    # The list shows both, never the secret.
    listed = client.get(f"{API}/tokens", headers=_bearer(new_raw)).json()["items"]
    assert [t["id"] for t in listed] == [body["id"], old.pk]
    assert all("token" not in t and "key_hash" not in t for t in listed)
    # A revoked token cannot be rotated again.
    with pytest.raises(DomainError) as exc:
        api_token_rotate(actor=user, token=old)
    assert (exc.value.code, exc.value.status) == ("api_token.not_active", 409)


def test_issue10_item10_another_enterprise_cannot_rotate_or_see_a_token(world, as_user):
    user = world.user("gc_labor")
    api_token_create(actor=user, user=user, name="劳务对接")
    token = ApiToken.objects.get(user=user)
    client = as_user("neighbour_labor")
    response = client.post(f"{API}/tokens/{token.pk}/rotate")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"{API}/tokens").json() == {"items": [], "count": 0}
    # The enterprise's own administrator may rotate it.
    admin = as_user("gc_admin")
    assert admin.post(f"{API}/tokens/{token.pk}/rotate").status_code == 201


def test_issue10_item10_a_user_issues_and_revokes_his_own_token(world, as_user):
    client = as_user("gc_labor")
    response = client.post(f"{API}/tokens", {"name": "脚本"}, content_type="application/json")
    assert response.status_code == 201
    raw, pk = response.json()["token"], response.json()["id"]
    assert Client().get(f"{API}/me", headers=_bearer(raw)).status_code == 200
    assert client.post(f"{API}/tokens/{pk}/revoke").status_code == 204
    _unauthenticated(Client().get(f"{API}/me", headers=_bearer(raw)))
    bad = client.post(f"{API}/tokens", {"name": ""}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"]


def test_issue10_item10_the_tokens_page_issues_rotates_and_revokes(world, as_user):
    client = as_user("gc_labor")
    page = client.post("/account/tokens/", {"action": "create", "name": "劳务对接"})
    raw = re.search(r'data-testid="issued-token">(smz_[\w-]+)<', page.content.decode()).group(1)
    token = ApiToken.objects.get(user=world.user("gc_labor"))
    assert token.key_hash == ApiToken.hash(raw)
    rotated = client.post("/account/tokens/", {"action": "rotate", "token": token.pk})
    new_raw = re.search(
        r'data-testid="issued-token">(smz_[\w-]+)<', rotated.content.decode()
    ).group(1)
    _unauthenticated(Client().get(f"{API}/me", headers=_bearer(raw)))
    assert Client().get(f"{API}/me", headers=_bearer(new_raw)).status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert (
        "已轮换" in listing and "有效" in listing and raw not in listing and new_raw not in listing
    )
    successor = ApiToken.objects.get(key_hash=ApiToken.hash(new_raw))
    assert (
        client.post("/account/tokens/", {"action": "revoke", "token": successor.pk}).status_code
        == 200
    )
    _unauthenticated(Client().get(f"{API}/me", headers=_bearer(new_raw)))
    empty = client.post("/account/tokens/", {"action": "create", "name": ""})
    assert empty.status_code == 422


def test_issue10_item10_the_tokens_page_refuses_someone_elses_token(world, as_user):
    owner = world.user("gc_labor")
    api_token_create(actor=owner, user=owner, name="劳务对接")
    token = ApiToken.objects.get(user=owner)
    response = as_user("neighbour_labor").post(
        "/account/tokens/", {"action": "rotate", "token": token.pk}
    )
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert as_user("worker").get("/account/tokens/").status_code == 404


def test_an_expired_token_on_a_write_is_401_not_a_csrf_failure(world, client):
    """No session cookie, a dead bearer token, a POST: the answer is about the token (issue 10 item 10)."""
    r = client.post(
        "/api/v1/tokens",
        {"name": "x"},
        content_type="application/json",
        headers={"Authorization": "Bearer smz_no_such_token"},
    )
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_a_session_write_without_its_csrf_token_is_403_in_the_envelope(world, client):
    client.force_login(world.user("gc_labor"))
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    r = csrf_client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["code"] == "auth.csrf_failed" and "CSRF" in r.json()["message"]
