"""The builder (建设单位, issue 13 item 8, P2, C6): an account anchored to the enterprise that builds projects, which
reads those projects (pages, attendance figures, approvals), sees no person, and declares the planned start."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from smz.accounts.models import Role, User
from smz.approvals.models import RequestKind
from smz.core.errors import CoreErrorCode
from smz.core.pii import UNMASK_POLICY, may_unmask
from smz.registry import scoping
from smz.registry.declarations import (
    may_declare_start,
    planned_start_declare,
    start_declaration,
)
from smz.registry.errors import RegistryErrorCode
from smz.registry.models import Enterprise, Participant, PlannedStartDeclaration
from smz.registry.synthetic import synthetic_uscc
from smz.testing.approvals import fresh_permit, request_filed
from smz.testing.errors import refused


def test_builder_sees_the_projects_it_builds_and_no_person(world):
    builder = world.user("builder")
    assert set(scoping.projects_for(builder)) == set(world.projects.values())
    assert not scoping.employments_for(builder).exists()
    assert not scoping.workers_for(builder).exists()
    assert not scoping.teams_for(builder).exists()
    assert not scoping.is_enterprise_user(builder)
    assert not scoping.can_maintain_roster(builder, world.projects["p1"])
    assert not scoping.can_manage_site(builder, world.projects["p1"])


def test_builder_of_another_enterprise_sees_nothing_of_ours(world):
    other = Enterprise.objects.create(
        corp_code=synthetic_uscc(seq=99), name="己置业", reg_type="150"
    )
    account = User.objects.create(username="other_builder", role=Role.BUILDER, enterprise=other)
    assert not scoping.projects_for(account).exists()
    # A 建设单位 participant row is enough, even when Project.builder names someone else.
    Participant.objects.create(
        project=world.projects["p2"], enterprise=other, corp_type=Participant.BUILDER
    )
    assert list(scoping.projects_for(account)) == [world.projects["p2"]]


def test_builder_account_needs_its_enterprise(db):
    with pytest.raises(IntegrityError):
        User.objects.create(username="floating_builder", role=Role.BUILDER)


def test_builder_sees_masked_data_only(world):
    builder = world.user("builder")
    assert all(Role.BUILDER not in roles for roles in UNMASK_POLICY.values())
    assert not any(may_unmask(builder, f) for f in UNMASK_POLICY)


def test_builder_declares_the_planned_start(world):
    p1 = world.projects["p1"]
    builder = world.user("builder")
    assert start_declaration(p1) is None
    d = planned_start_declare(
        actor=builder, project=p1, planned_start=dt.date(2024, 2, 1), note="按施工许可确认"
    )
    assert start_declaration(p1) == d
    assert (d.declared_by, d.enterprise, d.matches_record) == (
        builder,
        world.enterprises["builder"],
        True,
    )
    later = planned_start_declare(actor=builder, project=p1, planned_start=dt.date(2024, 3, 1))
    assert start_declaration(p1) == later and not later.matches_record
    p1.refresh_from_db()
    assert p1.planned_start == dt.date(2024, 2, 1)  # only WF1 moves the recorded date
    assert PlannedStartDeclaration.objects.count() == 2


@pytest.mark.parametrize("who", ["gc_admin", "gc_labor", "town_l1", "city_admin", "sup_manager"])
def test_only_the_builder_declares(world, who):
    with refused(RegistryErrorCode.NOT_BUILDER):
        planned_start_declare(
            actor=world.user(who), project=world.projects["p1"], planned_start=dt.date(2024, 2, 1)
        )
    assert not may_declare_start(world.user(who), world.projects["p1"])


def test_declaration_needs_a_plausible_date(world):
    with refused(CoreErrorCode.VALIDATION_ERROR) as info:
        planned_start_declare(
            actor=world.user("builder"),
            project=world.projects["p1"],
            planned_start=dt.date(2040, 1, 1),
        )
    assert "planned_start" in info.value.detail["fields"]


def test_project_page_and_wf1_request_show_the_declaration(world, as_user):
    p1 = world.projects["p1"]
    client = as_user("builder")
    page = client.get(f"/projects/{p1.pk}/").content.decode()
    assert "建设单位尚未申报" in page and f"/projects/{p1.pk}/planned-start/" in page
    r = client.post(
        f"/projects/{p1.pk}/planned-start/", {"planned_start": "2024-02-01", "note": "确认"}
    )
    assert r.status_code == 302
    page = client.get(f"/projects/{p1.pk}/").content.decode()
    assert "申报拟开工日期 <b>2024-02-01</b>" in page
    # The people on the project are not the builder's to see.
    assert world.workers["gc"].name not in page

    fresh_permit(p1)
    p1.refresh_from_db()
    request = request_filed(
        world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
    )
    detail = as_user("town_l1").get(f"/approvals/{request.pk}/").content.decode()
    assert "建设单位申报" in detail and "申报拟开工日期 <b>2024-02-01</b>" in detail
    assert "与登记的拟开工日期不一致" in detail  # the permit was renewed since
    builder_view = as_user("builder").get(f"/approvals/{request.pk}/")
    assert builder_view.status_code == 200
    assert 'card-header">办理<' not in builder_view.content.decode()  # it reads, it does not act


def test_others_get_no_declaration_page(world, as_user):
    p1 = world.projects["p1"]
    assert as_user("gc_admin").get(f"/projects/{p1.pk}/planned-start/").status_code == 403
    page = as_user("gc_admin").get(f"/projects/{p1.pk}/").content.decode()
    assert f"/projects/{p1.pk}/planned-start/" not in page


def test_builder_home_lists_its_projects(world, as_user):
    page = as_user("builder").get("/").content.decode()
    assert 'data-testid="dashboard-builder"' in page
    for p in world.projects.values():
        assert p.name in page
