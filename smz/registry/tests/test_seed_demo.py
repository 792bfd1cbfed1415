"""The demo city (smz/registry/demo/, `seed_demo`, `demo_logins`): idempotent, checksum-valid, a login for
every role, and the scoping every portal home page relies on."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import ensure_reference_data
from smz.accounts.models import AUTHORITY_ROLES, Role, User
from smz.core.validators import id_number_birth_date, id_number_error, id_number_sex, uscc_error
from smz.registry import demo
from smz.registry.codes import code_table, code_valid
from smz.registry.models import (
    SCOPE_MIN_COST_FEN,
    SCOPE_MIN_FLOOR_AREA_M2,
    Authority,
    Employment,
    Enterprise,
    KeyPost,
    KeyPostHolding,
    Project,
    Team,
    Worker,
)
from smz.registry.reference import SAFETY_AUTHORITY
from smz.registry.scoping import projects_for
from smz.registry.selectors import home_counts_for
from smz.registry.synthetic import synthetic_uscc

SIZE = 40  # construction workers; managers (~250) come on top


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 would dominate the run time; the login path is the same with any hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db) -> dict[str, int]:
    ensure_reference_data()
    return demo.build_demo_city(workers=SIZE)


def test_plan_is_deterministic_and_plausible():
    today = timezone.localdate()
    banks = {"102": "中国工商银行", "103": "中国农业银行", "314": "农村商业银行"}
    a = demo.plan_demo_city(workers=SIZE, today=today, banks=banks)
    b = demo.plan_demo_city(workers=SIZE, today=today, banks=banks)
    assert [p.id_number for p in a.people] == [p.id_number for p in b.people]
    assert len({p.id_number for p in a.people}) == len(a.people)
    for p in a.people:
        assert id_number_error(p.id_number) is None
        assert id_number_sex(p.id_number) == p.gender
        assert id_number_birth_date(p.id_number) == p.birth_date
        assert "演示" in p.name or "示例" in p.name
        assert len(p.phone) == 11 and p.phone[:2] in {"13", "15", "18"}
        assert len(p.bank_card) == 19 and demo.luhn_complete(p.bank_card[:-1]) == p.bank_card
        assert p.id_valid_to is None or p.id_valid_to > today
    assert sum(s.role == demo.LABOR for s in a.stints) >= SIZE


def test_seed_twice_gives_the_same_rows(city):
    out = io.StringIO()
    call_command("seed_demo", workers=SIZE, stdout=out)
    assert demo.demo_counts() == city
    assert "新增" not in out.getvalue()
    assert city["企业"] >= 20 and city["工程项目"] == 30
    call_command("seed_demo", "--if-empty", stdout=(out := io.StringIO()))
    assert "跳过" in out.getvalue()
    assert demo.demo_counts() == city


def test_every_role_has_a_login_with_the_demo_password(city, client):
    request = RequestFactory().get("/")  # django-axes wants the request
    for role in Role:
        user = User.objects.filter(role=role).order_by("pk").first()
        assert user is not None, role
        assert client.login(request=request, username=user.username, password=demo.DEMO_PASSWORD)
        client.logout()
    assert client.login(request=request, username="root", password=demo.DEMO_PASSWORD)


def test_identifiers_and_codes_are_valid(city):
    for worker in Worker.objects.all():
        assert id_number_error(worker.id_number) is None
        assert worker.gender == id_number_sex(worker.id_number)
        assert code_valid("bank", worker.bank_code) and code_valid("nation", worker.nation)
    for corp_code in Enterprise.objects.values_list("corp_code", flat=True):
        assert uscc_error(corp_code) is None
    work_types = code_table("work_type")
    assert set(Employment.objects.values_list("work_type", flat=True)) <= set(work_types)
    assert set(KeyPost.objects.values_list("post", flat=True)) <= set(code_table("key_post"))


def test_scope_thresholds_are_shown_both_ways(city):
    below = Project.objects.filter(
        kind=Project.Kind.BUILDING, floor_area_m2__lt=SCOPE_MIN_FLOOR_AREA_M2
    ) | Project.objects.filter(kind=Project.Kind.MUNICIPAL, cost_fen__lt=SCOPE_MIN_COST_FEN)
    assert below.filter(in_scope=False).count() >= 3
    assert below.filter(opt_in=True, in_scope=True).exists()
    assert Project.objects.filter(floor_area_m2=SCOPE_MIN_FLOOR_AREA_M2, in_scope=True).exists()
    # Below-scale projects that did not opt in keep no roster.
    assert not Employment.objects.filter(project__in_scope=False).exists()
    # Every lifecycle state but 已停止考勤 (no demo site has had its staff stop yet).
    assert set(Project.objects.values_list("status", flat=True)) == set(Project.Status.values) - {
        Project.Status.CLOSED
    }


def test_town_approver_sees_only_their_town(city):
    xiaolan = User.objects.get(username="xiaolan1")
    towns = set(projects_for(xiaolan).values_list("jurisdiction__short_name", flat=True))
    assert towns == {"小榄"}
    assert (
        projects_for(xiaolan).count()
        == Project.objects.filter(jurisdiction__short_name="小榄").count()
    )
    safety = User.objects.get(username="safety1")
    assert safety.authority == Authority.objects.get(name=SAFETY_AUTHORITY)
    urban = set(projects_for(safety).values_list("jurisdiction__is_urban", flat=True))
    assert urban == {True}


def test_every_home_page_has_something_to_show(city, client):
    for user in User.objects.all():
        if user.role == Role.WORKER:
            assert projects_for(user).filter(employments__status="active").exists()
            client.force_login(user)
            assert client.get(reverse("portal:home"), follow=True).status_code == 200
            continue
        counts = home_counts_for(user)
        assert counts["projects_in_scope"] > 0, user.username
        if user.role == Role.BUILDER:
            # The builder sees no person: its projects' head counts are in the table, never a list.
            assert counts["active_workers"] == 0, user.username
        else:
            assert counts["active_workers"] > 0, user.username
        assert counts["key_posts_vacant"] > 0, user.username
        client.force_login(user)
        response = client.get(reverse("portal:home"))
        assert response.status_code == 200
        assert "暂无项目" not in response.content.decode()
        # Every staff role has its own work section (工作台, issue 11 item 6).
        assert 'data-testid="dashboard-' in response.content.decode(), user.username
    assert {u.role for u in User.objects.filter(authority__isnull=False)} == set(AUTHORITY_ROLES)


def test_roster_hangs_together(city):
    active = Employment.objects.filter(status=Employment.Status.ACTIVE)
    assert not active.filter(work_role=Employment.Role.WORKER, team__isnull=True).exists()
    in_team = Employment.objects.filter(team__isnull=False)
    assert not in_team.exclude(team__enterprise=F("employer")).exists()
    assert not in_team.exclude(team__project=F("project")).exists()
    for team in Team.objects.exclude(leader=None):
        assert team.members.filter(worker=team.leader, is_team_leader=True).exists()
    live = Project.objects.exclude(status=Project.Status.COMPLETED)
    for post in KeyPost.objects.filter(project__in=live).exclude(holder=None):
        assert active.filter(
            project=post.project, worker=post.holder, employer=post.enterprise
        ).exists()
        assert KeyPostHolding.objects.filter(
            key_post=post, worker=post.holder, end_on__isnull=True
        ).exists()
    assert KeyPostHolding.objects.filter(end_on__isnull=False, basis="施工许可").exists()


def test_demo_logins_prints_the_table(city):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert demo.DEMO_URL in text and demo.DEMO_PASSWORD in text
    for login in demo.LOGINS:
        assert login.username in text
    assert Role.LABOR_SPECIALIST.label in text and "小榄镇住房城乡建设部门" in text


def test_a_failed_seed_step_leaves_nothing_and_the_next_run_builds_it_whole(city, monkeypatch):
    # Issue 11.1: a step that failed half-way (a missing font did) must not leave half a demo that
    # the next `make run` then skips.
    from smz.approvals import demo as approvals_demo
    from smz.approvals.models import ApprovalRequest
    from smz.core.models import SeedStep

    real_act, calls = approvals_demo._act, []

    def failing_act(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return real_act(*args, **kwargs)

    monkeypatch.setattr(approvals_demo, "_act", failing_act)
    with pytest.raises(RuntimeError, match="boom"):
        call_command("seed_workflows", "--if-empty", stdout=io.StringIO())
    assert len(calls) == 3
    assert not ApprovalRequest.objects.exists()
    assert not SeedStep.objects.filter(name="demo_workflows").exists()

    monkeypatch.setattr(approvals_demo, "_act", real_act)
    call_command("seed_workflows", "--if-empty", stdout=(out := io.StringIO()))
    assert "已就绪" in out.getvalue()
    built = ApprovalRequest.objects.count()
    assert built > 3
    call_command("seed_workflows", "--if-empty", stdout=(out := io.StringIO()))
    assert "跳过" in out.getvalue()
    assert ApprovalRequest.objects.count() == built


def test_seed_demo_if_empty_leaves_a_real_city_alone(db):
    ensure_reference_data()
    Enterprise.objects.create(corp_code=synthetic_uscc(seq=99), name="真实企业", reg_type="150")
    call_command("seed_demo", "--if-empty", stdout=(out := io.StringIO()))
    assert "非演示数据" in out.getvalue()
    assert not Project.objects.exists()
