"""REST docking (issue 14 item 4, D3/X8): the gateway's methods as JSON under /api/v1/docking/, signed with the app's
secret, Idempotency-Key on Add/Update, the async result; neighbours refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from smz.core import signing
from smz.docking.errors import DockingErrorCode
from smz.docking.methods import METHODS
from smz.docking.methods.base import Method
from smz.docking.models import DockingRequest
from smz.docking.services.apps import docking_app_revoke
from smz.docking.services.requests import docking_request_process
from smz.testing.docking import (
    REST,
    THINGS_SEEN,
    docking_app,
    rest_call,
    rest_headers,
    rest_result,
    thing_add,
)


@pytest.fixture
def thing(monkeypatch):
    THINGS_SEEN.clear()
    monkeypatch.setitem(
        METHODS,
        "Thing.Add",
        Method("Thing.Add", thing_add, asynchronous=True, list_field="thingList"),
    )
    return "Thing.Add"


def body(r) -> dict[str, Any]:
    return json.loads(r.content)


def test_query_answers_200_in_clear_json(client, world):
    app, secret = docking_app(world, ("p1",))
    r = rest_call(client, app, secret, "Project.Query", {"pageIndex": 0, "pageSize": 10})
    assert r.status_code == 200, r.content
    assert [row["projectCode"] for row in body(r)["rows"]] == [world.projects["p1"].code]


def test_add_is_202_then_processed_and_polled(client, world, thing):
    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}, {}]}
    r = rest_call(client, app, secret, thing, data, key="k-0001")
    assert r.status_code == 202, r.content
    accepted = body(r)
    assert accepted["status"] == 0 and accepted["method"] == "Thing.Add"
    serial = accepted["requestSerialCode"]
    assert "Idempotent-Replayed" not in r.headers

    pending = rest_result(client, app, secret, serial)
    assert pending.status_code == 200 and body(pending)["status"] == 0
    docking_request_process(serial)
    done = body(rest_result(client, app, secret, serial))
    assert (done["status"], done["successCount"], done["failCount"]) == (10, 1, 1)
    assert done["result"] == [
        {"index": 1, "code": "docking.record_invalid", "message": "[name]必填", "field": "name"}
    ]
    assert done["thingSysNo"] == 7
    assert THINGS_SEEN == [{"name": "甲"}]


def test_same_key_same_body_answers_the_same_serial_and_stores_nothing_twice(client, world, thing):
    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}]}
    first = rest_call(client, app, secret, thing, data, key="same-key")
    # Same data, other key order and spacing, a new nonce: the same body.
    raw = json.dumps(dict(reversed(list(data.items()))), indent=2).encode()
    again = rest_call(client, app, secret, thing, None, key="same-key", raw=raw)
    assert (first.status_code, again.status_code) == (202, 202)
    assert body(again)["requestSerialCode"] == body(first)["requestSerialCode"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert DockingRequest.objects.filter(app=app).count() == 1


def test_same_key_other_body_is_409(client, world, thing):
    app, secret = docking_app(world, ("p1",))
    code = world.projects["p1"].code
    first = rest_call(
        client, app, secret, thing, {"projectCode": code, "thingList": [{"name": "甲"}]}, key="k1"
    )
    other = rest_call(
        client, app, secret, thing, {"projectCode": code, "thingList": [{"name": "乙"}]}, key="k1"
    )
    assert other.status_code == 409
    assert body(other)["code"] == DockingErrorCode.IDEMPOTENCY_CONFLICT
    assert body(other)["detail"]["requestSerialCode"] == body(first)["requestSerialCode"]
    assert DockingRequest.objects.filter(app=app).count() == 1
    # Another app may use the same key: keys are per app.
    neighbour, n_secret = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    r = rest_call(
        client,
        neighbour,
        n_secret,
        thing,
        {"projectCode": world.projects["p2"].code, "thingList": [{"name": "丙"}]},
        key="k1",
    )
    assert r.status_code == 202


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, DockingErrorCode.IDEMPOTENCY_KEY_REQUIRED),
        ("", DockingErrorCode.IDEMPOTENCY_KEY_REQUIRED),
        ("k" * 65, DockingErrorCode.IDEMPOTENCY_KEY_INVALID),
        ("有中文", DockingErrorCode.IDEMPOTENCY_KEY_INVALID),
        ("a b", DockingErrorCode.IDEMPOTENCY_KEY_INVALID),
    ],
)
def test_idempotency_key_required_and_bounded(client, world, thing, key, code):
    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}]}
    headers = {} if key is None else {"Idempotency-Key": key}
    if key is not None and not key.isascii():
        # Django's test client sends headers as latin-1; a real client's UTF-8 bytes arrive the same way.
        headers["Idempotency-Key"] = key.encode().decode("latin-1")
    r = rest_call(client, app, secret, thing, data, tamper=headers)
    assert (r.status_code, body(r)["code"]) == (400, code), r.content
    assert not DockingRequest.objects.exists()


def test_k64_is_accepted(client, world, thing):
    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}]}
    assert rest_call(client, app, secret, thing, data, key="k" * 64).status_code == 202


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        ({"X-Smz-Signature": "0" * 64}, 401, DockingErrorCode.BAD_SIGNATURE),
        ({"X-Smz-App": "00000000000000000"}, 401, DockingErrorCode.UNKNOWN_APP),
        ({"X-Smz-Nonce": ""}, 401, DockingErrorCode.SIGNATURE_MISSING),
    ],
)
def test_bad_auth(client, world, tamper, status, code):
    app, secret = docking_app(world)
    r = rest_call(client, app, secret, "Project.Query", {}, tamper=tamper)
    assert (r.status_code, body(r)["code"]) == (status, code), r.content
    assert body(r)["message"]


def test_stale_timestamp_replayed_nonce_revoked_and_a_users_token(client, world):
    app, secret = docking_app(world)
    old = timezone.now() - dt.timedelta(minutes=6)
    r = rest_call(client, app, secret, "Project.Query", {}, moment=old)
    assert (r.status_code, body(r)["code"]) == (401, DockingErrorCode.STALE_TIMESTAMP)
    assert rest_call(client, app, secret, "Project.Query", {}, nonce="n" * 32).status_code == 200
    r = rest_call(client, app, secret, "Project.Query", {}, nonce="n" * 32)
    assert (r.status_code, body(r)["code"]) == (409, DockingErrorCode.NONCE_REUSED)
    # The body is signed: another body under the same headers is refused.
    path = f"{REST}/calls/Project.Query"
    headers = rest_headers(app, secret, "POST", path, b"{}")
    r = client.generic(
        "POST", path, b'{"pageSize":1}', content_type="application/json", headers=headers
    )
    assert body(r)["code"] == DockingErrorCode.BAD_SIGNATURE
    # A person's session is not an app's signature: the API's own 401 (no app credentials at all).
    client.force_login(world.user("gc_labor"))
    r = client.post(path, {}, content_type="application/json")
    assert (r.status_code, body(r)["code"]) == (401, "unauthenticated")
    client.logout()
    docking_app_revoke(actor=world.user("gc_admin"), app=app, reason="更换厂商")
    r = rest_call(client, app, secret, "Project.Query", {})
    assert (r.status_code, body(r)["code"]) == (401, DockingErrorCode.APP_REVOKED)


def test_unknown_method_bad_body_scope_and_limits(client, world, thing):
    app, secret = docking_app(world, ("p1",))
    r = rest_call(client, app, secret, "Worker.Fly", {})
    assert (r.status_code, body(r)["code"]) == (404, DockingErrorCode.UNKNOWN_METHOD)
    for raw in (b"[1, 2]", b"{not json", b'{"pageSize": NaN}', "{}".encode("utf-16")):
        r = rest_call(client, app, secret, "Project.Query", None, raw=raw)
        assert (r.status_code, body(r)["code"]) == (400, DockingErrorCode.BAD_DATA), raw
    r = rest_call(client, app, secret, "Project.Query", {"pageSize": "10"})
    assert (r.status_code, body(r)["code"]) == (422, DockingErrorCode.INVALID_FIELD)
    assert body(r)["detail"]["gatewayCode"] == 1016
    p2 = world.projects["p2"].code
    r = rest_call(client, app, secret, thing, {"projectCode": p2, "thingList": [{}]}, key="x1")
    assert (r.status_code, body(r)["code"]) == (403, DockingErrorCode.PROJECT_OUT_OF_SCOPE)
    p1 = world.projects["p1"].code
    many = {"projectCode": p1, "thingList": [{"name": "甲"}] * 501}
    r = rest_call(client, app, secret, thing, many, key="x2")
    assert (r.status_code, body(r)["code"]) == (413, DockingErrorCode.TOO_MANY_RECORDS)
    r = rest_call(client, app, secret, thing, {"projectCode": p1, "thingList": []}, key="x3")
    assert r.status_code == 422
    assert not DockingRequest.objects.exists()
    r = client.get(f"{REST}/requests/bad serial")
    assert r.status_code in (401, 404)


def test_another_gcs_app_cannot_read_this_apps_request(client, world, thing):
    mine, secret = docking_app(world, ("p1",))
    other, other_secret = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}]}
    serial = body(rest_call(client, mine, secret, thing, data, key="k"))["requestSerialCode"]
    r = rest_result(client, other, other_secret, serial)
    assert (r.status_code, body(r)["code"]) == (404, DockingErrorCode.REQUEST_NOT_FOUND)
    # Signing with the other app's secret under my app id does not pass either.
    path = f"{REST}/requests/{serial}"
    headers = rest_headers(mine, other_secret, "GET", path, b"")
    assert client.get(path, headers=headers).status_code == 401
    assert rest_result(client, mine, secret, serial).status_code == 200


def test_signature_vector():
    """The vector in docs/interfaces/api.md §平台对接 REST, checked independently with
    `openssl dgst -sha256 -hmac` over the hand-built string."""
    body = b'{"projectCode":"442000202400001","pageIndex":0,"pageSize":10}'
    assert signing.sign(
        "0123456789abcdefABCDEF0123456789",
        "POST",
        "/api/v1/docking/calls/Project.Query",
        "1796452200",
        "8f14e45fceea167a5a36dedd4bea2543",
        body,
    ) == ("e39faa6d5d65d9499b753d2968b1b775074d8aef97d433522ec91d895ebd8a62")


def test_a_parallel_call_with_the_same_key_meets_the_constraint(client, world, thing, monkeypatch):
    """Two calls with one key at once: both pass the look-up, the second meets the unique constraint and
    answers what the first stored."""
    from smz.docking.services import rest

    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p1"].code, "thingList": [{"name": "甲"}]}
    first = body(rest_call(client, app, secret, thing, data, key="race"))
    real_lookup = rest.request_by_key
    misses = iter([None])
    monkeypatch.setattr(rest, "request_by_key", lambda a, k: next(misses, real_lookup(a, k)))
    r = rest_call(client, app, secret, thing, data, key="race")
    assert r.status_code == 202 and body(r)["requestSerialCode"] == first["requestSerialCode"]
    assert r.headers["Idempotent-Replayed"] == "true"
    assert DockingRequest.objects.filter(app=app).count() == 1
