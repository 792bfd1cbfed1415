"""One gate roster for both device protocols (issue 12, "who goes on the gate is computed twice"): decided
per person, never per employment, so a re-hired worker is never sent a delete after his upsert, and a
device-direct gate and a ZKTeco terminal on the same site hold the same people."""

from __future__ import annotations

import pytest
from django.utils import timezone

from smz.devices.models import Device, DeviceCommand
from smz.devices.services import zkteco_people_sync
from smz.labor.services import entry, exits
from smz.registry.models import Employment
from smz.registry.services import employment_exit, employment_register, employment_update
from smz.testing.devices import terminal_in_service

SN = "ZK-ROSTER-1"


@pytest.fixture
def zk(world) -> Device:
    return terminal_in_service(world, serial=SN)


def exit_registered(world) -> None:
    """测试乙工 leaves p1 through the labor exit (confirmed online by himself, then registered)."""
    settlement = exits.exit_prepare(
        actor=world.user("sub_labor"),
        employment=world.employments["sub"],
        exit_on=timezone.localdate(),
        workload="木模板安装",
    )
    exits.exit_confirm(actor=world.user("worker"), settlement=settlement)
    exits.exit_register(actor=world.user("sub_labor"), settlement=settlement)


def rehire(world, monkeypatch) -> Employment:
    """测试乙工 comes back to p1 (a second Employment), passes the entry checks and is admitted; then the
    old employment's record is corrected (any later write to it)."""
    again = employment_register(
        actor=world.user("sub_labor"),
        project=world.projects["p1"],
        worker=world.workers["sub"],
        employer=world.enterprises["sub"],
        team=world.teams["sub"],
        work_type="020",
        entry_on=timezone.localdate(),
    )
    assert again.gate_status == "pending"
    monkeypatch.setattr(entry, "entry_checks", lambda employment: [])
    entry.entry_admit(actor=world.user("sub_labor"), employment=again)
    old = world.employments["sub"]
    old.refresh_from_db()
    employment_update(actor=world.user("sub_labor"), employment=old, work_type=old.work_type)
    return again


def feed(gate, cursor: str = "", *, limit: int = 100) -> tuple[list[tuple[int, str]], str]:
    """Every people page from the cursor, in order: the (person, op) items and the last cursor."""
    ops: list[tuple[int, str]] = []
    while True:
        body = gate.call("GET", f"/device/v1/people?limit={limit}&cursor={cursor}").json()
        ops += [(i["person_id"], i["op"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return ops, cursor


def applied(ops: list[tuple[int, str]], present: set[int] | None = None) -> set[int]:
    """The people a terminal holds after applying the operations in order."""
    present = set(present or ())
    for person, op in ops:
        if op == "upsert":
            present.add(person)
        else:
            present.discard(person)
    return present


def zk_lines(client) -> list[str]:
    lines = client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    return [x.split(":", 2)[2] for x in lines if x.startswith("C:")]


def zk_applied(lines: list[str], present: set[int] | None = None) -> set[int]:
    """The PINs a ZKTeco terminal holds after running the command lines in order."""
    present = set(present or ())
    for line in lines:
        pin = int(line.split("PIN=")[1].split("\t")[0])
        if line.startswith("DATA UPDATE USERINFO"):
            present.add(pin)
        elif line.startswith("DATA DELETE USERINFO"):
            present.discard(pin)
    return present


def test_issue12_rehired_worker_ends_on_the_device_direct_gate(world, gate, monkeypatch):
    sub = world.workers["sub"].pk
    ops, cursor = feed(gate)
    held = applied(ops)
    assert sub in held
    exit_registered(world)
    ops, cursor = feed(gate, cursor)
    assert ops == [(sub, "delete")]
    held = applied(ops, held)
    rehire(world, monkeypatch)
    for limit in (1, 100):  # page by page, or all at once
        ops, _ = feed(gate, cursor, limit=limit)
        assert sub in applied(ops, held), ops
        mine = [op for person, op in ops if person == sub]
        assert mine and mine[-1] == "upsert" and "delete" not in mine
    # A terminal starting from scratch holds him too.
    ops, _ = feed(gate)
    assert sub in applied(ops) and (sub, "delete") not in ops


def test_issue12_rehired_worker_gets_userinfo_not_a_delete_on_zkteco(
    world, zk, client, monkeypatch
):
    sub, gc = world.workers["sub"].pk, world.workers["gc"].pk
    # The terminal is offline for a while: a sync for another person is waiting when the exit comes.
    zkteco_people_sync(actor=world.user("gc_labor"), projects=[zk.project_id], workers=[gc])
    exit_registered(world)
    assert zk.commands.filter(kind=DeviceCommand.Kind.REMOVE_PERSON).count() == 1
    rehire(world, monkeypatch)
    lines = zk_lines(client)
    assert f"DATA UPDATE USERINFO PIN={sub}\tName=测试乙工\tPri=0" in lines
    assert f"DATA DELETE USERINFO PIN={sub}" not in lines
    assert sub in zk_applied(lines, {gc, sub})


def test_issue12_exit_then_later_rehire_sends_delete_then_userinfo(world, zk, client, monkeypatch):
    """The deletion that went out before the re-hire is followed by his user: the order of real events."""
    sub = world.workers["sub"].pk
    exit_registered(world)
    assert zk_lines(client) == [f"DATA DELETE USERINFO PIN={sub}"]
    rehire(world, monkeypatch)
    lines = zk_lines(client)
    assert lines[0] == f"DATA UPDATE USERINFO PIN={sub}\tName=测试乙工\tPri=0"
    assert not any(line.startswith("DATA DELETE") for line in lines)


def test_issue12_both_protocols_hold_the_same_people(world, gate, zk, client, monkeypatch):
    gc, sub, pm, other = (world.workers[k].pk for k in ("gc", "sub", "pm", "neighbour"))
    exit_registered(world)
    rehire(world, monkeypatch)  # back and admitted: on the gates
    employment_exit(  # gone for good: off the gates
        actor=world.user("gc_labor"),
        employment=world.employments["gc"],
        exit_on=timezone.localdate(),
    )
    waiting = world.employ("p1", "neighbour")  # registered, entry checks not passed yet: off
    Employment.objects.filter(pk=waiting.pk).update(gate_status="pending")

    ops, _ = feed(gate, limit=2)
    direct = applied(ops)
    DeviceCommand.objects.filter(device=zk).delete()
    zk.commands.create(kind=DeviceCommand.Kind.SYNC_PEOPLE, payload={})
    zkteco = zk_applied(zk_lines(client), {gc, sub, pm, other})
    assert direct == zkteco == {sub, pm}
