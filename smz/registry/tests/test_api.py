"""The /api/v1/ registry and accounts endpoints through the whole NinjaAPI: auth, scoping, writes, envelope.

Requirements: P2/P3 (scope on every read and write), R1–R4 (registry), N2 (masking, audited reveal), N3 (a
repeated registration does not duplicate).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.api import api
from smz.accounts.models import ApiToken
from smz.accounts.services import api_token_create, api_token_revoke
from smz.core.models import Event, PersonalDataAccess
from smz.core.pii import mask_id_number
from smz.registry.identity import id_number_index
from smz.registry.models import Employment, Team, Worker
from smz.registry.synthetic import synthetic_id_number
from smz.testing.errors import refused

API = "/api/v1"


def _get(client: Client, path: str, **extra):
    return client.get(API + path, **extra)


def _post(client: Client, path: str, body: dict, **extra):
    return client.post(API + path, body, content_type="application/json", **extra)


def _patch(client: Client, path: str, body: dict, **extra):
    return client.patch(API + path, body, content_type="application/json", **extra)


def _envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def _new_id_number(seq: int, *, male: bool = True) -> str:
    return synthetic_id_number(birth=dt.date(1990, 6, 1), seq=seq, male=male)


# --- the endpoint inventory ---------------------------------------------------------------------


def _operations():
    """(method, path template, public) for every operation mounted on /api/v1/."""
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                for method in op.methods:
                    yield method, _plain(path), op.auth_param is None


def _fill(path: str, world) -> str:
    values = {
        "project_id": world.projects["p1"].pk,
        "team_id": world.teams["gc"].pk,
        "worker_id": world.workers["gc"].pk,
        "employment_id": world.employments["gc"].pk,
        "table": "work_type",
    }
    return re.sub(r"\{(?:\w+:)?(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _plain(path: str) -> str:
    """'/teams/{int:team_id}' → '/teams/{team_id}': converters are not part of the inventory key."""
    return re.sub(r"\{\w+:(\w+)\}", r"{\1}", path)


PUBLIC = {("GET", "/jurisdictions"), ("GET", "/codes/{table}")}

# What a logged-in account with no role and no anchor (the `outsider`) gets from each registry/accounts
# endpoint: nothing from a list, 404 for a record, 403 for registering a person.
OUTSIDER = {
    ("GET", "/projects"): "empty",
    ("GET", "/projects/{project_id}"): 404,
    ("GET", "/projects/{project_id}/participants"): 404,
    ("GET", "/projects/{project_id}/key-posts"): 404,
    ("GET", "/teams"): "empty",
    ("POST", "/teams"): 404,
    ("PATCH", "/teams/{team_id}"): 404,
    ("GET", "/workers"): "empty",
    ("POST", "/workers"): 403,
    ("POST", "/workers/search"): "empty",
    ("GET", "/workers/{worker_id}"): 404,
    ("PATCH", "/workers/{worker_id}"): 404,
    ("GET", "/workers/{worker_id}/reveal"): 404,
    ("GET", "/employments"): "empty",
    ("POST", "/employments"): 404,
    ("PATCH", "/employments/{employment_id}"): 404,
    ("POST", "/employments/{employment_id}/exit"): 404,
    ("GET", "/enterprises"): "empty",
    ("GET", "/jurisdictions"): 200,
    ("GET", "/codes/{table}"): 200,
    ("GET", "/me"): 200,
    # his own tokens only (issue 10 item 10)
    ("GET", "/tokens"): "empty",
    ("POST", "/tokens"): 201,
    ("POST", "/tokens/{token_id}/rotate"): 404,
    ("POST", "/tokens/{token_id}/revoke"): 404,
}


def _valid_body(method: str, path: str, world) -> dict:
    e, p1 = world.enterprises, world.projects["p1"]
    worker = {"id_number": _new_id_number(400), "name": "局外人登记"}
    return {
        ("POST", "/teams"): {"project_id": p1.pk, "corp_code": e["gc"].corp_code, "name": "新班"},
        ("PATCH", "/teams/{team_id}"): {"remark": "改"},
        ("POST", "/workers"): worker,
        ("POST", "/workers/search"): {"id_number": world.workers["gc"].id_number},
        ("PATCH", "/workers/{worker_id}"): {"phone": "13900000000"},
        ("POST", "/employments"): {
            "project_id": p1.pk,
            "corp_code": e["gc"].corp_code,
            "team_id": world.teams["gc"].pk,
            "worker": worker,
            "work_type": "020",
            "entry_on": "2024-05-01",
        },
        ("PATCH", "/employments/{employment_id}"): {"work_type": "010"},
        ("POST", "/employments/{employment_id}/exit"): {"exit_on": "2024-06-30"},
        ("POST", "/tokens"): {"name": "局外人令牌"},
    }.get((method, path), {})


def _request(client: Client, method: str, path: str, world, **extra):
    url = API + _fill(path, world)
    if path.endswith("/reveal"):
        url += "?field=id_number"
    if method == "GET":
        return client.get(url, **extra)
    body = _valid_body(method, path, world)
    return getattr(client, method.lower())(url, body, content_type="application/json", **extra)


def test_p3_every_registry_and_accounts_endpoint_has_an_outsider_expectation():
    from smz.accounts.api import router as accounts_router
    from smz.registry.api import router as registry_router

    mounted = {
        (method, _plain(path))
        for router in (registry_router, accounts_router)
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    assert mounted == set(OUTSIDER), "a new endpoint needs its scoping tests here"


def test_p3_every_endpoint_refuses_anonymous_with_the_envelope(client, world):
    checked = 0
    for method, path, public in _operations():
        response = _request(client, method, path, world)
        if public:
            assert (method, path) in PUBLIC, f"{method} {path} is public: intended?"
            assert response.status_code == 200
            continue
        body = _envelope(response, 401, "unauthenticated")
        assert body["detail"] == {}
        checked += 1
    assert checked >= len(OUTSIDER) - len(PUBLIC)
    assert not Worker.objects.filter(name="局外人登记").exists()


@pytest.mark.parametrize(("method", "path"), sorted(OUTSIDER))
def test_p3_outsider_gets_nothing(as_user, world, method, path):
    client = as_user("outsider")
    before = (Worker.objects.count(), Team.objects.count(), Employment.objects.count())
    response = _request(client, method, path, world)
    expected = OUTSIDER[(method, path)]
    if expected == "empty":
        assert response.status_code == 200
        assert response.json() == {"items": [], "count": 0}
    elif expected in {200, 201}:
        assert response.status_code == expected
    else:
        _envelope(response, expected, "not_found" if expected == 404 else "forbidden")
    assert (Worker.objects.count(), Team.objects.count(), Employment.objects.count()) == before
    assert not PersonalDataAccess.objects.exists()


def test_p3_outsider_me_shows_only_himself(as_user, world):
    body = _get(as_user("outsider"), "/me").json()
    assert body["username"] == "outsider"
    assert body["enterprise_corp_code"] is None and body["worker_id"] is None


# --- scoping (P2, P3) ---------------------------------------------------------------------------


def _items(client: Client, path: str) -> list[dict]:
    response = _get(client, path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "count"} and body["count"] == len(body["items"])
    return body["items"]


PROJECTS = {
    "city_supervisor": {"p1", "p2", "p3"},
    "city_admin": {"p1", "p2", "p3"},
    "quality_clerk": {"p1", "p2", "p3"},
    "window_clerk": {"p1", "p2", "p3"},
    "town_l1": {"p1"},
    "town_l2": {"p1"},
    "neighbour_town": {"p2"},
    "safety_l2": {"p3"},
    "gc_admin": {"p1", "p3"},
    "gc_labor": {"p1"},
    "gc_pm": {"p1"},
    "sub_labor": {"p1"},
    "sup_manager": {"p1"},
    "neighbour_labor": {"p2"},
    "worker": {"p1"},
    "outsider": set(),
}

# Employments (by world key) each persona sees: the GC sees everyone on its project, a subcontractor only
# his own people, a worker only himself.
EMPLOYMENTS = {
    "city_supervisor": {"gc", "sub", "pm", "neighbour"},
    "town_l1": {"gc", "sub", "pm"},
    "neighbour_town": {"neighbour"},
    "safety_l2": set(),
    "gc_admin": {"gc", "sub", "pm"},
    "gc_labor": {"gc", "sub", "pm"},
    "sub_labor": {"sub"},
    "sup_manager": set(),
    "neighbour_labor": {"neighbour"},
    "worker": {"sub"},
    "outsider": set(),
}

TEAMS = {
    "city_supervisor": {"gc", "sub", "neighbour"},
    "town_l1": {"gc", "sub"},
    "neighbour_town": {"neighbour"},
    "safety_l2": set(),
    "gc_labor": {"gc", "sub"},
    "sub_labor": {"sub"},
    "neighbour_labor": {"neighbour"},
    "worker": {"sub"},
    "outsider": set(),
}


def _keys(mapping: dict, ids: set[int]) -> set[str]:
    return {key for key, obj in mapping.items() if obj.pk in ids}


@pytest.mark.parametrize("persona", sorted(PROJECTS))
def test_p3_project_list_is_scoped(as_user, world, persona):
    ids = {p["id"] for p in _items(as_user(persona), "/projects")}
    assert _keys(world.projects, ids) == PROJECTS[persona]
    for key, project in world.projects.items():
        status = 200 if key in PROJECTS[persona] else 404
        assert _get(as_user(persona), f"/projects/{project.pk}").status_code == status


@pytest.mark.parametrize("persona", sorted(EMPLOYMENTS))
def test_p3_employment_and_worker_lists_are_scoped(as_user, world, persona):
    client = as_user(persona)
    ids = {e["id"] for e in _items(client, "/employments")}
    assert _keys(world.employments, ids) == EMPLOYMENTS[persona]
    worker_ids = {w["id"] for w in _items(client, "/workers")}
    expected = (
        set(world.workers)
        if persona == "city_supervisor"
        else {k for k in EMPLOYMENTS[persona] if k in world.workers}
    )
    assert _keys(world.workers, worker_ids) == expected
    for key, worker in world.workers.items():
        status = 200 if key in expected else 404
        assert _get(client, f"/workers/{worker.pk}").status_code == status


@pytest.mark.parametrize("persona", sorted(TEAMS))
def test_p3_team_list_is_scoped(as_user, world, persona):
    ids = {t["id"] for t in _items(as_user(persona), "/teams")}
    assert _keys(world.teams, ids) == TEAMS[persona]


def test_p3_project_children_follow_project_visibility(as_user, world):
    p1 = world.projects["p1"]
    client = as_user("sub_labor")
    participants = _get(client, f"/projects/{p1.pk}/participants").json()
    assert {p["corp_type"] for p in participants} == {"009", "008", "006", "007"}
    posts = _get(client, f"/projects/{p1.pk}/key-posts").json()
    assert {p["post"] for p in posts} == {"P01", "P03", "S01"}
    assert next(p for p in posts if p["post"] == "P01")["holder_name"] == "测试项目经理"
    neighbour = as_user("neighbour_labor")
    _envelope(_get(neighbour, f"/projects/{p1.pk}/participants"), 404, "not_found")
    _envelope(_get(neighbour, f"/projects/{p1.pk}/key-posts"), 404, "not_found")


def test_p3_list_filters_stay_inside_the_scope(as_user, world):
    p2 = world.projects["p2"]
    assert _items(as_user("gc_labor"), f"/employments?project={p2.pk}") == []
    assert _items(as_user("gc_labor"), f"/teams?project={p2.pk}") == []
    p1 = world.projects["p1"]
    ids = {e["id"] for e in _items(as_user("city_supervisor"), f"/employments?project={p1.pk}")}
    assert _keys(world.employments, ids) == {"gc", "sub", "pm"}


def test_p3_worker_sees_only_himself(as_user, world):
    client = as_user("worker")
    me = world.workers["sub"]
    assert [w["id"] for w in _items(client, "/workers")] == [me.pk]
    assert _get(client, f"/workers/{me.pk}").status_code == 200
    _envelope(_get(client, f"/workers/{world.workers['gc'].pk}"), 404, "not_found")
    assert _items(client, "/enterprises") == []
    body = _get(client, "/me").json()
    assert body["role"] == "worker" and body["worker_id"] == me.pk


def test_p3_neighbour_cannot_write_on_p1(as_user, world):
    client = as_user("neighbour_labor")
    p1, e = world.projects["p1"], world.enterprises
    body = {"project_id": p1.pk, "corp_code": e["neighbour"].corp_code, "name": "越界班组"}
    _envelope(_post(client, "/teams", body), 404, "not_found")
    _envelope(_patch(client, f"/teams/{world.teams['gc'].pk}", {"name": "改名"}), 404)
    employment = {
        "project_id": p1.pk,
        "corp_code": e["neighbour"].corp_code,
        "worker_id": world.workers["neighbour"].pk,
        "work_type": "020",
        "entry_on": "2024-05-01",
    }
    _envelope(_post(client, "/employments", employment), 404, "not_found")
    gc_employment = world.employments["gc"].pk
    _envelope(_patch(client, f"/employments/{gc_employment}", {"work_type": "010"}), 404)
    _envelope(_post(client, f"/employments/{gc_employment}/exit", {"exit_on": "2024-06-01"}), 404)
    _envelope(_patch(client, f"/workers/{world.workers['gc'].pk}", {"phone": "13900000000"}), 404)
    assert not Team.objects.filter(name__in=["越界班组", "改名"]).exists()
    assert Employment.objects.filter(project=p1).count() == 3
    world.employments["gc"].refresh_from_db()
    assert world.employments["gc"].status == Employment.Status.ACTIVE


def test_p3_subcontractor_may_not_write_for_the_gc(as_user, world):
    client = as_user("sub_labor")
    p1, e = world.projects["p1"], world.enterprises
    body = {"project_id": p1.pk, "corp_code": e["gc"].corp_code, "name": "冒名班组"}
    _envelope(_post(client, "/teams", body), 403, "forbidden")
    _envelope(_patch(client, f"/teams/{world.teams['gc'].pk}", {"name": "改名"}), 404)
    _envelope(
        _post(client, f"/employments/{world.employments['gc'].pk}/exit", {"exit_on": "2024-06-01"}),
        404,
    )
    response = _patch(client, f"/teams/{world.teams['sub'].pk}", {"remark": "乙班备注"})
    assert response.status_code == 200 and response.json()["remark"] == "乙班备注"


@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "gc_pm", "sup_manager"])
def test_p2_read_only_roles_cannot_write_the_roster(as_user, world, persona):
    client = as_user(persona)
    p1, e = world.projects["p1"], world.enterprises
    body = {"project_id": p1.pk, "corp_code": e["gc"].corp_code, "name": "无权班组"}
    _envelope(_post(client, "/teams", body), 403, "forbidden")
    _envelope(_post(client, "/workers", {"id_number": _new_id_number(401), "name": "无权"}), 403)
    exit_url = f"/employments/{world.employments['gc'].pk}/exit"
    # The supervision firm does not even see the GC's people; the others see them but may not write.
    _envelope(
        _post(client, exit_url, {"exit_on": "2024-06-01"}), 404 if persona == "sup_manager" else 403
    )
    assert not Team.objects.filter(name="无权班组").exists()
    assert not Worker.objects.filter(name="无权").exists()


# --- writes (R3) --------------------------------------------------------------------------------


def test_r3_gc_labor_creates_a_team(as_user, world):
    client = as_user("gc_labor")
    p1, e = world.projects["p1"], world.enterprises
    body = {
        "project_id": p1.pk,
        "corp_code": e["gc"].corp_code,
        "name": "甲模板班",
        "responsible_name": "班长甲",
        "responsible_phone": "13700001111",
        "entry_on": "2024-04-01",
    }
    response = _post(client, "/teams", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["name"] == "甲模板班" and out["corp_code"] == e["gc"].corp_code
    assert out["responsible_phone_masked"] == "137****1111"
    assert "13700001111" not in response.content.decode()
    team = Team.objects.get(pk=out["id"])
    assert team.responsible_phone == "13700001111"
    assert Event.objects.filter(kind="team.created", subject_id=team.pk).exists()

    duplicate = _post(client, "/teams", body)
    assert _envelope(duplicate, 409, "registry.team_exists")["detail"]["fields"]["name"]

    for_sub = _post(client, "/teams", body | {"corp_code": e["sub"].corp_code, "name": "乙新班"})
    assert for_sub.status_code == 201, "the GC maintains the roster of everyone on its project"

    not_on_project = _post(client, "/teams", body | {"corp_code": e["neighbour"].corp_code})
    fields = _envelope(not_on_project, 422, "validation_error")["detail"]["fields"]
    assert fields["enterprise"] == "该企业不是本项目的参建单位"

    unknown = _post(client, "/teams", body | {"corp_code": "91350100M000100Y43"})
    assert "corp_code" in _envelope(unknown, 422, "validation_error")["detail"]["fields"]


def test_r3_gc_labor_registers_a_new_worker_on_p1(as_user, world):
    client = as_user("gc_labor")
    p1, e = world.projects["p1"], world.enterprises
    idn = _new_id_number(500, male=False)
    body = {
        "project_id": p1.pk,
        "corp_code": e["gc"].corp_code,
        "team_id": world.teams["gc"].pk,
        "worker": {"id_number": idn, "name": "新登记工人", "phone": "13600002222"},
        "work_type": "020",
        "entry_on": "2024-05-01",
    }
    response = _post(client, "/employments", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "active" and out["team_name"] == "甲钢筋班"
    assert out["worker"]["id_number_masked"] == mask_id_number(idn)
    assert out["worker"]["gender"] == "2" and out["worker"]["birth_date"] == "1990-06-01"
    assert idn not in response.content.decode() and "13600002222" not in response.content.decode()
    worker = Worker.objects.get(id_number_index=id_number_index("01", idn))
    assert worker.id_number == idn
    assert Event.objects.filter(kind="worker.registered", subject_id=worker.pk).exists()
    assert Event.objects.filter(kind="employment.registered", subject_id=out["id"]).exists()
    ids = {x["id"] for x in _items(as_user("sub_labor"), "/employments")}
    assert out["id"] not in ids, "the subcontractor does not see the GC's new man"


def test_r3_invalid_id_number_is_a_422_with_a_chinese_reason(as_user, world):
    client = as_user("gc_labor")
    bad = _new_id_number(501)[:-1] + ("0" if _new_id_number(501)[-1] != "0" else "1")
    response = _post(client, "/workers", {"id_number": bad, "name": "校验位错"})
    body = _envelope(response, 422, "validation_error")
    assert body["detail"]["fields"]["id_number"] == "身份证号码校验位错误"
    response = _post(
        client,
        "/employments",
        {
            "project_id": world.projects["p1"].pk,
            "corp_code": world.enterprises["gc"].corp_code,
            "team_id": world.teams["gc"].pk,
            "worker": {"id_number": "110105199902300011", "name": "日期错"},
            "work_type": "020",
            "entry_on": "2024-05-01",
        },
    )
    assert _envelope(response, 422)["detail"]["fields"]["id_number"] == "身份证号码中的出生日期无效"
    assert not Worker.objects.filter(name__in=["校验位错", "日期错"]).exists()


def test_r3_schema_errors_use_the_envelope(as_user, world):
    response = _post(as_user("gc_labor"), "/workers", {"name": "缺证件号"})
    body = _envelope(response, 422, "validation_error")
    assert "id_number" in body["detail"]["fields"]
    response = _post(
        as_user("gc_labor"),
        f"/employments/{world.employments['gc'].pk}/exit",
        {"exit_on": "not-a-date"},
    )
    assert "exit_on" in _envelope(response, 422)["detail"]["fields"]


def test_n3_reposting_the_same_id_number_does_not_duplicate(as_user, world):
    client = as_user("gc_labor")
    idn = _new_id_number(502)
    first = _post(
        client, "/workers", {"id_number": idn, "name": "重复登记", "phone": "13500003333"}
    )
    assert first.status_code == 201
    again = _post(
        client, "/workers", {"id_number": idn.lower(), "name": "重复登记", "address": "中山市"}
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Worker.objects.filter(id_number_index=id_number_index("01", idn)).count() == 1
    worker = Worker.objects.get(pk=first.json()["id"])
    assert worker.address == "中山市" and worker.phone == "13500003333", "an update never blanks"


def test_r3_another_enterprise_cannot_change_someone_elses_bank_card(as_user, world):
    gc_worker = world.workers["gc"]
    response = _post(
        as_user("sub_labor"),
        "/workers",
        {
            "id_number": gc_worker.id_number,
            "name": gc_worker.name,
            "bank_card": "6222000011112222333",
        },
    )
    # issue 10 items 1–2: refused with one answer that tells nothing about him (was a 200 with his data)
    _envelope(response, 409, "registry.worker_exists_other_employer")
    assert gc_worker.name not in response.content.decode()
    gc_worker.refresh_from_db()
    assert gc_worker.bank_card == "6222020200112233445"


def test_r3_duplicate_active_employment_is_a_409(as_user, world):
    client = as_user("gc_labor")
    body = {
        "project_id": world.projects["p1"].pk,
        "corp_code": world.enterprises["gc"].corp_code,
        "team_id": world.teams["gc"].pk,
        "worker_id": world.workers["gc"].pk,
        "work_type": "020",
        "entry_on": "2024-05-01",
    }
    body_out = _envelope(_post(client, "/employments", body), 409, "registry.already_on_project")
    assert "id_number" in body_out["detail"]["fields"]
    assert Employment.objects.filter(worker=world.workers["gc"]).count() == 1


def test_r3_exit_flow(as_user, world):
    client = as_user("gc_labor")
    employment = world.employments["gc"]
    too_early = _post(client, f"/employments/{employment.pk}/exit", {"exit_on": "2024-02-01"})
    assert "exit_on" in _envelope(too_early, 422, "validation_error")["detail"]["fields"]

    response = _post(client, f"/employments/{employment.pk}/exit", {"exit_on": "2024-06-30"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "exited" and response.json()["exit_on"] == "2024-06-30"
    assert Event.objects.filter(kind="employment.exited", subject_id=employment.pk).exists()

    again = _post(client, f"/employments/{employment.pk}/exit", {"exit_on": "2024-07-01"})
    _envelope(again, 400, "registry.already_exited")

    exited = _items(client, f"/employments?status=exited&project={world.projects['p1'].pk}")
    assert [e["id"] for e in exited] == [employment.pk]

    back = _post(
        client,
        "/employments",
        {
            "project_id": world.projects["p1"].pk,
            "corp_code": world.enterprises["gc"].corp_code,
            "team_id": world.teams["gc"].pk,
            "worker_id": world.workers["gc"].pk,
            "work_type": "020",
            "entry_on": "2024-08-01",
        },
    )
    assert back.status_code == 201, "after exit the same person may enter again"


def test_r3_employment_update(as_user, world):
    client = as_user("gc_labor")
    employment = world.employments["sub"]
    response = _patch(client, f"/employments/{employment.pk}", {"work_type": "010"})
    assert response.status_code == 200 and response.json()["work_type"] == "010"
    bad = _patch(client, f"/employments/{employment.pk}", {"team_id": world.teams["gc"].pk})
    assert "team" in _envelope(bad, 422)["detail"]["fields"], "a team of another employer"


# --- personal data (N2) -------------------------------------------------------------------------


def test_n2_worker_output_is_masked(as_user, world):
    worker = world.workers["gc"]
    response = _get(as_user("gc_labor"), f"/workers/{worker.pk}")
    out = response.json()
    assert out["id_number_masked"] == mask_id_number(worker.id_number)
    assert out["phone_masked"] == "138****1234"
    assert out["bank_card_masked"] == "6222 **** **** 3445"
    text = response.content.decode()
    for secret in (worker.id_number, worker.phone, worker.bank_card):
        assert secret not in text
    listing = _get(as_user("gc_labor"), "/employments").content.decode()
    assert worker.id_number not in listing and worker.bank_card not in listing


def test_n2_reveal_is_audited_for_the_labor_specialist(as_user, world):
    worker = world.workers["sub"]
    response = _get(
        as_user("gc_labor"), f"/workers/{worker.pk}/reveal?field=id_number&purpose=签订劳动合同"
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": worker.id_number}
    row = PersonalDataAccess.objects.get()
    assert row.actor == world.user("gc_labor") and row.field == "id_number"
    assert row.subject_id == worker.pk and row.purpose == "签订劳动合同"


def test_n2_reveal_is_forbidden_for_the_city_supervisor(as_user, world):
    worker = world.workers["sub"]
    response = _get(as_user("city_supervisor"), f"/workers/{worker.pk}/reveal?field=id_number")
    body = _envelope(response, 403, "pii.forbidden")
    assert "证件号码" in body["message"]
    assert worker.id_number not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_n2_reveal_outside_the_scope_is_a_404(as_user, world):
    response = _get(as_user("sub_labor"), f"/workers/{world.workers['gc'].pk}/reveal?field=phone")
    _envelope(response, 404, "not_found")
    assert not PersonalDataAccess.objects.exists()


def test_n2_find_a_worker_by_full_id_number(as_user, world):
    """Issue 10 item 6: the number travels in a POST body, never in the URL."""
    worker = world.workers["sub"]
    found = _post(as_user("gc_labor"), "/workers/search", {"id_number": worker.id_number.lower()})
    assert found.status_code == 200 and [w["id"] for w in found.json()["items"]] == [worker.pk]
    assert worker.id_number not in found.content.decode()
    other = _post(as_user("neighbour_labor"), "/workers/search", {"id_number": worker.id_number})
    assert other.status_code == 200 and other.json() == {"items": [], "count": 0}
    _envelope(_post(as_user("gc_labor"), "/workers/search", {}), 422, "validation_error")


@pytest.mark.parametrize("param", ["id_number", "phone", "bank_card"])
def test_issue10_item6_personal_number_in_an_api_url_is_a_400(as_user, world, param):
    worker = world.workers["sub"]
    response = _get(as_user("gc_labor"), f"/workers?{param}={getattr(worker, param)}")
    body = _envelope(response, 400, "pii.id_in_url")
    assert body["detail"] == {"params": [param]}
    assert getattr(worker, param) not in response.content.decode()


# --- pagination and query counts ----------------------------------------------------------------


def _add_people(world, n: int) -> None:
    p1, gc, team = world.projects["p1"], world.enterprises["gc"], world.teams["gc"]
    for i in range(n):
        idn = _new_id_number(600 + i)
        worker = Worker.objects.create(
            id_number=idn,
            id_number_index=id_number_index("01", idn),
            name=f"批量{i:02d}",
            gender="1",
            phone="13800009999",
        )
        Employment.objects.create(
            project=p1,
            worker=worker,
            employer=gc,
            team=team,
            work_type="020",
            entry_on=dt.date(2024, 3, 1),
        )
        Team.objects.create(project=p1, enterprise=gc, name=f"批量班{i:02d}", leader=worker)


def test_r3_lists_are_paginated(as_user, world):
    client = as_user("city_supervisor")
    first = _get(client, "/employments?page_size=3").json()
    assert first["count"] == 4 and len(first["items"]) == 3
    second = _get(client, "/employments?page_size=3&page=2").json()
    assert second["count"] == 4 and len(second["items"]) == 1
    assert {e["id"] for e in first["items"] + second["items"]} == {
        e.pk for e in world.employments.values()
    }
    assert _get(client, "/employments?page_size=3&page=9").json() == {"items": [], "count": 4}


LISTS = ["/projects", "/teams", "/workers", "/employments", "/enterprises"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("persona", ["city_supervisor", "gc_labor"])
def test_n5_list_queries_do_not_grow_with_rows(
    as_user, world, django_assert_max_num_queries, path, persona
):
    client = as_user(persona)
    _get(client, path)  # warm up session and caches
    with CaptureQueriesContext(connection) as few:
        small = _get(client, path)
    _add_people(world, 25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = _get(client, path)
    if path in {"/teams", "/workers", "/employments"}:
        assert large.json()["count"] >= small.json()["count"] + 25


# --- token auth (docking clients) ---------------------------------------------------------------


def test_p2_api_token_bearer_auth_and_revocation(world):
    user = world.user("gc_labor")
    raw = api_token_create(actor=user, user=user, name="劳务对接")
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == ApiToken.hash(raw) and raw not in {token.key_hash, token.prefix}
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    response = _get(client, "/projects", **auth)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [world.projects["p1"].pk]
    assert _get(client, "/me", **auth).json()["username"] == "gc_labor"
    token.refresh_from_db()
    assert token.last_used_at is not None

    body = {
        "project_id": world.projects["p1"].pk,
        "corp_code": world.enterprises["gc"].corp_code,
        "name": "令牌班组",
    }
    assert _post(client, "/teams", body, **auth).status_code == 201

    _envelope(
        _get(client, "/projects", HTTP_AUTHORIZATION="Bearer smz_wrong"), 401, "unauthenticated"
    )

    api_token_revoke(actor=user, token=token)
    _envelope(_get(client, "/projects", **auth), 401, "unauthenticated")


def test_p2_token_of_a_disabled_account_is_refused(world):
    user = world.user("gc_labor")
    raw = api_token_create(actor=world.user("gc_admin"), user=user, name="对接")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _envelope(_get(Client(), "/projects", HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)


def test_p2_tokens_are_issued_only_by_an_administrator_of_the_account(world):

    with refused("forbidden"):
        api_token_create(actor=world.user("neighbour_labor"), user=world.user("gc_labor"), name="x")
    assert not ApiToken.objects.exists()


def test_p2_me_describes_the_account(as_user, world):
    body = _get(as_user("gc_labor"), "/me").json()
    assert body["role"] == "labor_specialist" and body["role_label"] == "劳资专管员"
    assert body["enterprise_corp_code"] == world.enterprises["gc"].corp_code
    body = _get(as_user("town_l1"), "/me").json()
    assert body["authority"] == "小榄镇住房城乡建设部门"


def test_r2_public_reference_endpoints(client, world):
    codes = _get(client, "/codes/work_type").json()
    assert {"code": "020", "name": codes[[c["code"] for c in codes].index("020")]["name"]} in codes
    _envelope(_get(client, "/codes/no_such_table"), 404, "not_found")
    short_names = {j["short_name"] for j in _get(client, "/jurisdictions").json()}
    assert {"小榄", "古镇", "石岐区"} <= short_names
