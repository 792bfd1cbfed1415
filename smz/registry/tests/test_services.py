"""Registry write services (R1–R4, P3): business rules, derived identity data, events."""

from __future__ import annotations

import datetime as dt

import pytest

from smz.core.errors import DomainError
from smz.core.models import Event
from smz.registry import services
from smz.registry.models import Employment, Enterprise, KeyPost, KeyPostHolding, Team, Worker
from smz.registry.services import WorkerData
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc
from smz.testing.errors import refused


def _idn(seq: int, *, male: bool = True) -> str:
    return synthetic_id_number(birth=dt.date(1979, 11, 30), seq=seq, male=male)


def _fields(exc: pytest.ExceptionInfo) -> dict[str, str]:
    assert exc.value.status == 422 and exc.value.code == "validation_error"
    return exc.value.detail["fields"]


# --- people (R3) --------------------------------------------------------------------------------


def test_r3_sex_and_birth_date_come_from_the_id_number(world):
    data = WorkerData(
        id_card_type="01", id_number=f" {_idn(700, male=False).lower()} ", name=" 李四 "
    )
    assert services.worker_data_errors(data) == {}
    assert data.gender == "2" and data.birth_date == dt.date(1979, 11, 30)
    assert data.name == "李四" and data.id_number == _idn(700, male=False)


def test_r3_stated_sex_must_match_the_id_number(world):
    data = WorkerData(id_card_type="01", id_number=_idn(701, male=True), name="王五", gender="2")
    assert services.worker_data_errors(data) == {"gender": "性别与身份证号码不一致"}


def test_r3_identity_field_errors_are_collected(world):
    data = WorkerData(
        id_card_type="X9",
        id_number="123",
        name="",
        nation="xx",
        phone="12345",
        bank_card="abc",
        id_valid_from=dt.date(2020, 1, 1),
        id_valid_to=dt.date(2019, 1, 1),
    )
    errors = services.worker_data_errors(data)
    assert set(errors) >= {"id_card_type", "name", "nation", "phone", "bank_card", "id_valid_to"}
    data = WorkerData(id_card_type="01", id_number="110105194912310021", name="甲")
    assert services.worker_data_errors(data)["id_number"] == "身份证号码校验位错误"


def test_r3_worker_upsert_creates_then_updates_without_blanking(world):
    actor = world.user("gc_labor")
    idn = _idn(702)
    worker, created = services.worker_upsert(
        actor=actor,
        data=WorkerData(id_card_type="01", id_number=idn, name="赵六", phone="13711112222"),
    )
    assert created and worker.gender == "1" and worker.phone == "13711112222"
    again, created = services.worker_upsert(
        actor=actor,
        data=WorkerData(id_card_type="01", id_number=idn, name="赵六", address="小榄镇"),
    )
    assert not created and again.pk == worker.pk
    again.refresh_from_db()
    assert again.phone == "13711112222" and again.address == "小榄镇"
    kinds = list(
        Event.objects.filter(kind__startswith="worker.", subject_id=worker.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["worker.registered", "worker.updated"]
    services.worker_upsert(
        actor=actor, data=WorkerData(id_card_type="01", id_number=idn, name="赵六")
    )
    assert Event.objects.filter(subject_id=worker.pk, kind__startswith="worker.").count() == 2


def test_r3_worker_upsert_refuses_bad_data(world):
    with pytest.raises(DomainError) as exc:
        services.worker_upsert(
            actor=world.user("gc_labor"),
            data=WorkerData(id_card_type="01", id_number="1", name="x"),
        )
    assert "id_number" in _fields(exc)
    assert not Worker.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("city_admin", True),
        ("gc_admin", True),
        ("gc_labor", True),
        ("sub_labor", True),
        ("gc_pm", False),
        ("sup_manager", False),
        ("city_supervisor", False),
        ("window_clerk", False),
        ("town_l1", False),
        ("worker", False),
        ("outsider", False),
    ],
)
def test_p3_only_roster_staff_register_people(world, persona, may):
    user = world.user(persona)
    assert services.worker_may_register(user) is may
    data = WorkerData(id_card_type="01", id_number=_idn(703), name="登记权限")
    if may:
        assert services.worker_upsert(actor=user, data=data)[1]
    else:
        with refused("forbidden"):
            services.worker_upsert(actor=user, data=data)
        assert not Worker.objects.filter(name="登记权限").exists()


def test_p3_who_may_edit_a_person(world):
    gc_worker = world.workers["gc"]
    assert services.worker_may_edit(world.user("gc_labor"), gc_worker)
    assert services.worker_may_edit(world.user("city_admin"), gc_worker)
    assert not services.worker_may_edit(world.user("sub_labor"), gc_worker)
    assert not services.worker_may_edit(world.user("neighbour_labor"), gc_worker)
    # The GC maintains everyone on its project, the subcontractor his own.
    assert services.worker_may_edit(world.user("gc_labor"), world.workers["sub"])
    assert services.worker_may_edit(world.user("sub_labor"), world.workers["sub"])


# --- teams and employment (R3) ------------------------------------------------------------------


def test_r3_team_rules(world):
    actor, p1, e = world.user("gc_labor"), world.projects["p1"], world.enterprises
    with pytest.raises(DomainError) as exc:
        services.team_create(
            actor=actor, project=p1, enterprise=e["gc"], name=" ", responsible_phone="123"
        )
    assert set(_fields(exc)) == {"name", "responsible_phone"}
    with refused("forbidden"):
        services.team_create(
            actor=world.user("sub_labor"), project=p1, enterprise=e["gc"], name="甲"
        )
    team = services.team_create(actor=actor, project=p1, enterprise=e["sup"], name=" 监理班 ")
    assert team.name == "监理班"
    with pytest.raises(DomainError) as exc:
        services.team_update(actor=actor, team=team, project=world.projects["p2"])
    assert _fields(exc) == {"project": "不可修改"}
    services.team_update(actor=actor, team=team, remark="备注", leader=world.workers["gc"])
    team.refresh_from_db()
    assert team.remark == "备注" and team.leader == world.workers["gc"]
    assert Event.objects.filter(subject_id=team.pk, kind="team.updated").exists()


def test_r3_employment_rules(world):
    actor, p1, e = world.user("gc_labor"), world.projects["p1"], world.enterprises
    worker, _ = services.worker_upsert(
        actor=actor, data=WorkerData(id_card_type="01", id_number=_idn(704), name="进场")
    )
    common = {"actor": actor, "project": p1, "worker": worker, "entry_on": dt.date(2024, 5, 1)}
    with pytest.raises(DomainError) as exc:
        services.employment_register(**common, employer=e["gc"], team=None, work_type="020")
    assert _fields(exc) == {"team": "建筑工人必须属于一个班组"}
    with pytest.raises(DomainError) as exc:
        services.employment_register(
            **common, employer=e["gc"], team=world.teams["sub"], work_type="999", work_role="30"
        )
    assert set(_fields(exc)) == {"team", "work_type", "work_role"}
    with pytest.raises(DomainError) as exc:
        services.employment_register(
            **common, employer=e["gc"], team=world.teams["neighbour"], work_type="020"
        )
    assert _fields(exc) == {"team": "班组不属于本项目"}

    manager = services.employment_register(
        **common, employer=e["gc"], team=None, work_type="900", work_role="10"
    )
    assert manager.status == Employment.Status.ACTIVE

    with pytest.raises(DomainError) as exc:
        services.employment_register(
            **common, employer=e["gc"], team=world.teams["gc"], work_type="020"
        )
    assert exc.value.status == 409 and exc.value.code == "registry.already_on_project"


def test_r3_team_leader_is_set_on_registration(world):
    actor, p1, e = world.user("sub_labor"), world.projects["p1"], world.enterprises
    worker, _ = services.worker_upsert(
        actor=actor, data=WorkerData(id_card_type="01", id_number=_idn(705), name="班长")
    )
    services.employment_register(
        actor=actor,
        project=p1,
        worker=worker,
        employer=e["sub"],
        team=world.teams["sub"],
        work_type="020",
        entry_on=dt.date(2024, 5, 1),
        is_team_leader=True,
    )
    assert Team.objects.get(pk=world.teams["sub"].pk).leader == worker


def test_r3_exit_and_update_need_roster_rights(world):
    employment = world.employments["gc"]
    with refused("forbidden"):
        services.employment_exit(
            actor=world.user("sub_labor"), employment=employment, exit_on=dt.date(2024, 6, 1)
        )
    with refused("forbidden"):
        services.employment_update(
            actor=world.user("gc_pm"), employment=employment, work_type="010"
        )
    with pytest.raises(DomainError) as exc:
        services.employment_update(
            actor=world.user("gc_labor"), employment=employment, entry_on=dt.date(2024, 1, 1)
        )
    assert _fields(exc) == {"entry_on": "不可修改"}


# --- enterprises (R1) and key posts (R4) --------------------------------------------------------


def test_r1_enterprise_register_checks_the_uscc(world):
    actor = world.user("city_admin")
    with pytest.raises(DomainError) as exc:
        services.enterprise_register(actor=actor, corp_code="91350100M000100Y44", name="")
    assert set(_fields(exc)) == {"corp_code", "name"}
    code = synthetic_uscc(seq=900)
    enterprise = services.enterprise_register(actor=actor, corp_code=code.lower(), name="己建设")
    assert enterprise.corp_code == code
    again = services.enterprise_register(actor=actor, corp_code=code, name="己建设集团")
    assert again.pk == enterprise.pk and Enterprise.objects.get(pk=again.pk).name == "己建设集团"
    kinds = list(
        Event.objects.filter(kind__startswith="enterprise.", subject_id=enterprise.pk)
        .order_by(
            "pk"
        )  # no ORDER BY is no order: PostgreSQL returned them the other way round once
        .values_list("kind", flat=True)
    )
    assert kinds == ["enterprise.registered", "enterprise.updated"]


def test_r4_key_post_assignment_keeps_the_history(world):
    actor = world.user("city_admin")
    post = KeyPost.objects.get(project=world.projects["p1"], post="P03")
    first, second = world.workers["gc"], world.workers["pm"]
    services.key_post_assign(actor=actor, key_post=post, worker=first, start_on=dt.date(2024, 2, 1))
    services.key_post_assign(
        actor=actor, key_post=post, worker=second, start_on=dt.date(2024, 7, 1), basis="变更"
    )
    post.refresh_from_db()
    assert post.holder == second and post.holder_since == dt.date(2024, 7, 1)
    history = list(KeyPostHolding.objects.filter(key_post=post).order_by("start_on"))
    assert [(h.worker, h.start_on, h.end_on) for h in history] == [
        (first, dt.date(2024, 2, 1), dt.date(2024, 7, 1)),
        (second, dt.date(2024, 7, 1), None),
    ]
    event = Event.objects.filter(kind="key_post.assigned").latest("pk")
    assert event.data == {"worker": second.pk, "previous": first.pk, "basis": "变更"}
