"""Asynchronous requests (附件8): stored before the answer, processed once, finished by the sweep after a crash."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from smz.docking.errors import DockingErrorCode
from smz.docking.methods import base
from smz.docking.models import DockingApp, DockingReceipt, DockingRequest
from smz.docking.services.apps import docking_app_authorize, docking_app_scope_set
from smz.docking.services.requests import docking_request_process
from smz.testing.docking import answer, docking_app, gateway_post
from smz.testing.errors import refused

SEEN: list[dict] = []


def _echo(call: base.Call) -> base.MethodResult:
    """A throwaway Add: accepts each record with a name, refuses the others."""
    result = base.MethodResult()
    for i, item in enumerate(call.data["dataList"]):
        if item.get("name"):
            SEEN.append(item)
            result.accepted += 1
        else:
            result.refuse(i, "docking.record_invalid", "[name]不能为空", "name")
    result.issued["echo"] = result.accepted
    return result


@pytest.fixture
def echo(monkeypatch):
    SEEN.clear()
    monkeypatch.setitem(
        base.METHODS,
        "Echo.Add",
        base.Method("Echo.Add", _echo, True, DockingReceipt.Kind.TEAM, "dataList"),
    )


def test_stored_pending_then_processed_once_by_the_sweep(client, world, echo, capsys):
    """No worker ran (the database task backend only queues): the request waits, pending; the sweep finishes
    it; a second sweep or a re-run changes nothing."""
    app, secret = docking_app(world)
    data = {"projectCode": world.projects["p1"].code, "dataList": [{"name": "a"}, {"x": 1}]}
    body = answer(gateway_post(client, app, secret, "Echo.Add", data))
    serial = body["data"]["requestSerialCode"]
    request = DockingRequest.objects.get(serial=serial)
    assert request.status == DockingRequest.Status.PENDING and request.record_count == 2
    # the data is stored encrypted at rest (personal numbers in it arrive decrypted from AES)
    assert json.loads(request.data)["dataList"][0] == {"name": "a"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM docking_dockingrequest WHERE serial = %s", [serial])
        raw = cursor.fetchone()[0]
    assert "dataList" not in raw and "name" not in raw
    pending = answer(
        gateway_post(client, app, secret, "AsyncHandleResult.Query", {"requestSerialCode": serial})
    )
    assert pending["data"]["status"] == 0

    call_command("docking_requests_process")
    assert "已处理 1 个" in capsys.readouterr().out
    done = answer(
        gateway_post(client, app, secret, "AsyncHandleResult.Query", {"requestSerialCode": serial})
    )
    assert done["data"]["status"] == 10 and done["data"]["successCount"] == 1
    assert done["data"]["result"] == [
        {"index": 1, "code": "docking.record_invalid", "message": "[name]不能为空", "field": "name"}
    ]
    assert done["data"]["echo"] == 1
    receipt = DockingReceipt.objects.get(project=world.projects["p1"], kind="team")
    assert receipt.records == 1

    call_command("docking_requests_process")
    docking_request_process(serial)
    assert len(SEEN) == 1 and DockingReceipt.objects.get(pk=receipt.pk).records == 1


def test_more_than_500_records_are_refused_whole(client, world, echo):
    app, secret = docking_app(world)
    data = {"projectCode": world.projects["p1"].code, "dataList": [{"name": "a"}] * 501}
    r = gateway_post(client, app, secret, "Echo.Add", data)
    assert r.status_code == 413 and answer(r)["code"] == 1013
    assert not DockingRequest.objects.exists()


def test_an_add_for_a_project_outside_the_scope_stores_nothing(client, world, echo):
    app, secret = docking_app(world, ("p1",))
    data = {"projectCode": world.projects["p2"].code, "dataList": [{"name": "a"}]}
    r = gateway_post(client, app, secret, "Echo.Add", data)
    assert r.status_code == 403 and answer(r)["code"] == 1012
    assert not DockingRequest.objects.exists()


def test_a_sandbox_app_stays_on_its_test_project(world):
    """A sandbox app writes test data: its scope cannot be moved onto a live project (service, not only the page)."""
    app, _ = docking_app_authorize(
        actor=world.user("gc_admin"),
        enterprise=world.enterprises["gc"],
        name="厂商沙箱",
        project_ids=[],
        mode=DockingApp.Mode.SANDBOX,
    )
    (own,) = app.user.projects.all()
    assert own.code.startswith("SBX") and not own.in_scope
    with refused(DockingErrorCode.SANDBOX_SCOPE):
        docking_app_scope_set(
            actor=world.user("gc_admin"), app=app, project_ids=[world.projects["p1"].pk]
        )
    assert list(app.user.projects.all()) == [own]
