"""进场登记 (A2): each check blocks (or warns), a refusal is recorded, a pending person is not on the gates'
people list until admitted, and ZKTeco terminals are told when he is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from smz.core.errors import DomainError
from smz.devices.models import DeviceCommand
from smz.devices.services import device_register
from smz.labor import selectors
from smz.labor.models import Admission, AgeRule, Blacklist
from smz.labor.services import entry
from smz.registry import project_changes
from smz.testing.devices import jpeg
from smz.testing.errors import refused
from smz.testing.labor import contract


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


def failing(employment) -> set[str]:
    return {c.code for c in selectors.entry_checks(employment) if not c.ok}


@pytest.fixture
def ready(world):
    """测试乙工 with a contract, training and a live face: everything passes."""
    e = world.employments["sub"]
    contract(world, "sub", rate="280", actor="sub_labor", start_on=today() - dt.timedelta(days=30))
    entry.training_record(
        actor=world.user("sub_labor"),
        employment=e,
        trained_on=today(),
        course="三级安全教育",
        hours="8",
    )
    project_changes.site_face_capture(
        actor=world.user("sub_labor"), employment=e, data=jpeg(640, 480)
    )
    e.refresh_from_db()
    return world


def test_r_a2_each_check(world):
    e = world.employments["sub"]
    assert failing(e) == {"contract", "training", "face"}
    w = e.worker
    w.id_valid_to = today() - dt.timedelta(days=1)
    w.save()
    assert "id_valid" in failing(e)
    w.birth_date = today().replace(year=today().year - 56)  # a woman over 55
    w.save()
    assert "age" in failing(e)
    AgeRule.objects.create(
        valid_from=today() - dt.timedelta(days=1),
        min_age=18,
        max_age_male=60,
        max_age_female=60,
        source="t",
    )
    assert "age" not in failing(e)  # the newest rule applies
    Blacklist.objects.create(
        worker=w,
        reason="恶意讨薪",
        valid_from=today() - dt.timedelta(days=3),
        placed_by=world.user("city_admin"),
    )
    assert "blacklist" in failing(e)


def test_r_a2_admission_blocked_then_granted(world, ready):
    e = ready.employments["sub"]
    assert failing(e) == set()
    entry.entry_hold(actor=ready.user("sub_labor"), employment=e)
    Blacklist.objects.create(
        worker=e.worker,
        reason="x",
        valid_from=today(),
        valid_to=today(),
        placed_by=ready.user("city_admin"),
    )
    with pytest.raises(DomainError) as exc:
        entry.entry_admit(actor=ready.user("sub_labor"), employment=e)
    assert exc.value.code == "labor.entry_blocked" and "黑名单" in exc.value.message
    assert Admission.objects.get(employment=e).admitted is False  # the refusal is on record
    e.refresh_from_db()
    assert e.gate_status == "pending"
    Blacklist.objects.all().delete()
    zk, _ = device_register(
        actor=ready.user("gc_labor"),
        project=ready.projects["p1"],
        serial="ZK-ENTRY",
        kind="face_gate",
        protocol="zkteco_push",
        entrance="东门",
    )
    entry.entry_admit(actor=ready.user("sub_labor"), employment=e)
    e.refresh_from_db()
    assert e.gate_status == "admitted"
    sync = DeviceCommand.objects.get(device=zk, kind="sync_people")
    assert sync.payload == {"workers": [e.worker_id]}  # him, not the whole roster
    with refused("forbidden"):
        entry.entry_admit(actor=ready.user("neighbour_labor"), employment=e)


def test_r_a2_pending_people_are_not_sent_to_gates(world, ready, client):
    from smz.testing.devices import DeviceClient

    e = ready.employments["sub"]
    device, secret = device_register(
        actor=ready.user("gc_labor"),
        project=ready.projects["p1"],
        serial="GATE-ENTRY",
        kind="face_gate",
        protocol="direct_v1",
        entrance="东门",
    )
    entry.entry_hold(actor=ready.user("sub_labor"), employment=e)
    people = DeviceClient(client, device, secret).call("GET", "/device/v1/people").json()["items"]
    mine = [p for p in people if p["person_id"] == e.worker_id]
    assert mine and mine[-1]["op"] == "delete"
    entry.entry_admit(actor=ready.user("sub_labor"), employment=e)
    people = DeviceClient(client, device, secret).call("GET", "/device/v1/people").json()["items"]
    assert [p["op"] for p in people if p["person_id"] == e.worker_id] == ["upsert"]


def test_r_a2_warns_when_active_elsewhere(world):

    world.employ("p3", "sub")
    check = next(
        c for c in selectors.entry_checks(world.employments["sub"]) if c.code == "elsewhere"
    )
    assert not check.ok and check.level == "warn" and "石岐甲商业项目" in check.message


def test_r_a2_entry_page(world, ready, as_user):
    e = ready.employments["sub"]
    c = as_user("sub_labor")
    page = c.get(reverse("labor:entry", args=[e.pk])).content.decode()
    assert "已签订劳动合同" in page and "已进行岗前安全培训" in page
    c.post(reverse("labor:entry", args=[e.pk]), {"action": "admit"})
    assert Admission.objects.filter(employment=e, admitted=True).exists()
    assert as_user("neighbour_labor").get(reverse("labor:entry", args=[e.pk])).status_code == 404


def test_r_a2_new_labor_waits_and_bulk_check_admits_those_who_pass(world, ready, as_user):
    from conftest import make_worker
    from smz.registry.services import employment_register

    newcomer = make_worker(40, "测试新工", phone="13900001111")
    employment = employment_register(
        actor=world.user("sub_labor"),
        project=world.projects["p1"],
        worker=newcomer,
        employer=world.enterprises["sub"],
        team=world.teams["sub"],
        work_type="020",
        entry_on=today(),
    )
    assert employment.gate_status == "pending"  # registered labor waits for the checks
    entry.entry_hold(actor=ready.user("sub_labor"), employment=ready.employments["sub"])
    hub = reverse("labor:project", args=[world.projects["p1"].pk])
    c = as_user("sub_labor")
    assert "批量进场核验（待核验 2 人）" in c.get(hub).content.decode()
    page = c.post(hub, {"form": "admit_all"}, follow=True).content.decode()
    assert "核验通过并下发 1 人" in page and "未通过 1 人：测试新工" in page
    employment.refresh_from_db()
    ready.employments["sub"].refresh_from_db()
    assert (
        employment.gate_status == "pending" and ready.employments["sub"].gate_status == "admitted"
    )
    town = as_user("town_l1").get(hub).content.decode()
    assert "批量进场核验" not in town and ">签订<" not in town and ">退场<" not in town
