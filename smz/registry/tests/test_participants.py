"""参建单位登记 (participant_register / participant_update): who may, reserved roles, idempotency, events."""

from __future__ import annotations

import datetime as dt

import pytest

from smz.core.errors import DomainError, Forbidden
from smz.core.models import Event
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.models import Participant
from smz.registry.services import participant_register, participant_update


def test_the_gc_registers_a_participant_once(world):
    p1, sup = world.projects["p1"], world.enterprises["sup"]
    row, created = participant_register(
        actor=world.user("gc_labor"),
        project=p1,
        enterprise=sup,
        corp_type="001",
        entry_on=dt.date(2024, 3, 1),
        pm_name="丙经理",
        pm_phone="13700001111",
    )
    assert created and (row.corp_type, row.pm_phone) == ("001", "13700001111")
    again, created = participant_register(
        actor=world.user("gc_labor"), project=p1, enterprise=sup, corp_type="001"
    )
    assert (again.pk, created) == (row.pk, False)
    assert Event.objects.filter(kind=RegistryEventKind.PARTICIPANT_ADDED).count() == 1


@pytest.mark.parametrize("who", ["sub_labor", "gc_pm", "neighbour_labor", "town_l1", "outsider"])
def test_only_the_gc_or_the_city_registers_participants(world, who):
    with pytest.raises(Forbidden):
        participant_register(
            actor=world.user(who),
            project=world.projects["p1"],
            enterprise=world.enterprises["neighbour"],
            corp_type="001",
        )
    participant_register(
        actor=world.user("city_admin"),
        project=world.projects["p1"],
        enterprise=world.enterprises["neighbour"],
        corp_type="001",
    )


def test_gc_and_builder_roles_come_from_the_permit(world):
    for role in (Participant.GC, Participant.BUILDER):
        with pytest.raises(DomainError) as exc:
            participant_register(
                actor=world.user("gc_labor"),
                project=world.projects["p1"],
                enterprise=world.enterprises["neighbour"],
                corp_type=role,
            )
        assert exc.value.code == RegistryErrorCode.PARTICIPANT_ROLE_RESERVED
    with pytest.raises(DomainError) as exc:
        participant_register(
            actor=world.user("gc_labor"),
            project=world.projects["p1"],
            enterprise=world.enterprises["neighbour"],
            corp_type="099",
        )
    assert "corp_type" in exc.value.detail["fields"]


def test_participant_update(world):
    row = Participant.objects.get(project=world.projects["p1"], enterprise=world.enterprises["sub"])
    participant_update(
        actor=world.user("gc_labor"), participant=row, exit_on=dt.date(2024, 6, 30), pm_name="乙"
    )
    row.refresh_from_db()
    assert (row.exit_on, row.pm_name) == (dt.date(2024, 6, 30), "乙")
    with pytest.raises(DomainError) as exc:
        participant_update(
            actor=world.user("gc_labor"),
            participant=row,
            entry_on=dt.date(2024, 7, 1),
        )
    assert "exit_on" in exc.value.detail["fields"]
    with pytest.raises(DomainError):
        participant_update(actor=world.user("gc_labor"), participant=row, corp_type="001")
    with pytest.raises(Forbidden):
        participant_update(actor=world.user("sub_labor"), participant=row, pm_name="自改")
