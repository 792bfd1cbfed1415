"""The gateway's envelope (附件8, D3/X8): signing and AES vectors, every refusal, scope, queries, async results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smz.core.logredact import redact
from smz.docking import protocol
from smz.docking.errors import GatewayCode
from smz.docking.models import DockingRequest
from smz.docking.services.apps import docking_app_revoke
from smz.testing.docking import answer, docking_app, gateway_post

# Fixed vectors (docs/interfaces/platform-docking.md §测试向量): a vendor checks its own code against them.
VECTOR_SECRET = "0123456789abcdefABCDEF0123456789"
VECTOR_FIELDS = {
    "appid": "44202026120500001",
    "data": '{"projectCode":"442000202400001","pageIndex":0,"pageSize":10}',
    "format": "json",
    "method": "Project.Query",
    "nonce": "8f14e45fceea167a5a36dedd4bea2543",
    "timestamp": "20261205143000",
    "version": "1.0",
}


def test_sign_vector_is_sha256_of_the_lower_cased_string():
    text = protocol.string_to_sign(VECTOR_FIELDS, VECTOR_SECRET)
    assert text.startswith('appid=44202026120500001&data={"projectcode"')
    assert text.endswith("&version=1.0&appsecret=0123456789abcdefabcdef0123456789")
    # Checked independently: hashlib over the hand-lowered string.
    assert protocol.sign(VECTOR_FIELDS, VECTOR_SECRET) == (
        "10d4d37418e7ec39f1e4763c99f1ce2153d78e993858fe242f2b875b4b305d77"
    )


def test_aes_roundtrip_and_vector():
    cipher = protocol.aes_encrypt("440101199001011234", VECTOR_SECRET)
    assert cipher != "440101199001011234"
    assert protocol.aes_decrypt(cipher, VECTOR_SECRET) == "440101199001011234"
    # The vector in 附件8, checked independently with `openssl enc -aes-256-cbc` (key = the secret, IV = its
    # first 16 characters).
    assert cipher == "7UZztFW7CwzvKfMZRY7XsqHuERjzSHsw/1QLR3cwqp0="
    with pytest.raises(protocol.CipherError):
        protocol.aes_decrypt(cipher, "X" * 32)


def test_sensitive_fields_are_encrypted_wherever_they_nest():
    data = {"workerList": [{"idCardNumber": "440101199001011234", "workerName": "张三"}]}
    sealed = protocol.encrypt_sensitive(data, VECTOR_SECRET)
    assert sealed["workerList"][0]["workerName"] == "张三"
    assert sealed["workerList"][0]["idCardNumber"] != "440101199001011234"
    opened, bad = protocol.decrypt_sensitive(sealed, VECTOR_SECRET)
    assert opened == data and bad == []


def test_project_query_answers_the_apps_projects_only(client, world):
    app, secret = docking_app(world, ("p1",))
    r = gateway_post(client, app, secret, "Project.Query", {"pageIndex": 0, "pageSize": 10})
    body = answer(r)
    assert r.status_code == 200 and body["code"] == 0, body
    codes = [row["projectCode"] for row in body["data"]["rows"]]
    assert codes == [world.projects["p1"].code]
    assert body["data"]["rows"][0]["contractorCorpName"] == world.enterprises["gc"].name


@pytest.mark.parametrize(
    ("tamper", "code", "status"),
    [
        ({"sign": "0" * 64}, GatewayCode.BAD_SIGN, 401),
        ({"format": "xml"}, GatewayCode.BAD_FORMAT, 400),
        ({"version": "2.0"}, GatewayCode.BAD_VERSION, 400),
        ({"appid": "00000000000000000"}, GatewayCode.UNKNOWN_APP, 401),
        ({"nonce": ""}, GatewayCode.MISSING_FIELD, 400),
    ],
)
def test_envelope_refusals(client, world, tamper, code, status):
    app, secret = docking_app(world)
    r = gateway_post(client, app, secret, "Project.Query", {}, tamper=tamper)
    body = answer(r)
    assert (r.status_code, body["code"]) == (status, code), body
    assert body["message"] and body["data"] is None


def test_stale_timestamp_replayed_nonce_unknown_method_and_revoked(client, world):
    app, secret = docking_app(world)
    old = timezone.now() - dt.timedelta(minutes=6)
    assert answer(gateway_post(client, app, secret, "Project.Query", {}, moment=old))["code"] == (
        GatewayCode.STALE_TIMESTAMP
    )
    first = gateway_post(client, app, secret, "Project.Query", {}, nonce="a" * 32)
    again = gateway_post(client, app, secret, "Project.Query", {}, nonce="a" * 32)
    assert answer(first)["code"] == 0
    assert (again.status_code, answer(again)["code"]) == (409, GatewayCode.NONCE_REUSED)
    assert answer(gateway_post(client, app, secret, "Worker.Fly", {}))["code"] == (
        GatewayCode.UNKNOWN_METHOD
    )
    docking_app_revoke(actor=world.user("gc_admin"), app=app, reason="更换厂商")
    assert answer(gateway_post(client, app, secret, "Project.Query", {}))["code"] == (
        GatewayCode.APP_REVOKED
    )


def test_bad_data_bad_cipher_and_paging_limits(client, world):
    app, secret = docking_app(world)
    r = gateway_post(client, app, secret, "Project.Query", [1, 2])
    assert answer(r)["code"] == GatewayCode.BAD_DATA
    r = gateway_post(
        client, app, secret, "Project.Query", {"idCardNumber": "not-base64!"}, encrypt=False
    )
    assert answer(r)["code"] == GatewayCode.BAD_CIPHER
    assert "440" not in answer(r)["message"]
    r = gateway_post(client, app, secret, "Project.Query", {"pageSize": 1000})
    assert (r.status_code, answer(r)["code"]) == (400, GatewayCode.INVALID_FIELD)
    r = gateway_post(client, app, secret, "Project.Query", {"pageSize": "10"})
    assert answer(r)["code"] == GatewayCode.INVALID_FIELD


def test_async_result_of_another_apps_request_is_not_found(client, world):
    mine, secret = docking_app(world, ("p1",))
    other, other_secret = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    request = DockingRequest.objects.create(
        serial="team-add-x",
        app=other,
        project=world.projects["p2"],
        method="Team.Add",
        data="{}",
        received_at=timezone.now(),
    )
    r = gateway_post(
        client, mine, secret, "AsyncHandleResult.Query", {"requestSerialCode": request.serial}
    )
    assert answer(r)["code"] == GatewayCode.INVALID_FIELD
    r = gateway_post(
        client,
        other,
        other_secret,
        "AsyncHandleResult.Query",
        {"requestSerialCode": request.serial},
    )
    assert answer(r)["data"]["status"] == 0


def test_wrong_content_type_and_get(client, world):
    app, _ = docking_app(world)
    r = client.post(
        "/docking/v1/gateway", data={"appid": app.app_id}, content_type="application/json"
    )
    assert r.status_code == 400 and answer(r)["code"] == GatewayCode.MISSING_FIELD
    r = client.get("/docking/v1/gateway")
    assert r.status_code == 405


def test_a_body_between_django_s_and_the_gateway_s_limit_is_read(client, world, settings):
    """500 records with snapshots are ~30 MB: over DATA_UPLOAD_MAX_MEMORY_SIZE, under the gateway's own limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.SMZ_DOCKING_MAX_BYTES = 64 * 1024
    app, secret = docking_app(world)
    padding = "x" * 4000
    r = gateway_post(client, app, secret, "Project.Query", {"pageIndex": 0, "remark": padding})
    assert r.status_code == 200 and answer(r)["code"] == 0
    r = gateway_post(client, app, secret, "Project.Query", {"remark": "x" * 70000})
    assert (r.status_code, answer(r)["code"]) == (413, GatewayCode.TOO_LARGE)


def test_app_ids_have_17_digits_and_logs_name_the_app_by_its_row(client, world, caplog):
    """17 digits like the national platform's app ids; the log masker would hide a 16–19-digit number as a card,
    so refusals log the app's row id instead."""
    app, secret = docking_app(world)
    assert len(app.app_id) == 17 and app.app_id.isdigit()
    assert redact(app.app_id) != app.app_id  # why the logs do not use it
    with caplog.at_level("WARNING", logger="smz.docking"):
        gateway_post(client, app, secret, "Project.Query", {}, tamper={"sign": "0" * 64})
    assert f"app#{app.pk} bad sign" in caplog.text
