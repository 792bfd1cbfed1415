"""Docking pages (issue 14 item 1, D3/X8): authorize with the secret shown once, rotate, revoke, scope, recent
requests; a neighbouring GC sees nothing of it; the not-docked list by jurisdiction; the sandbox's calculator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.devices.models import Device
from smz.docking import protocol
from smz.docking.models import DockingApp, DockingReceipt, DockingRequest
from smz.docking.selectors.apps import undocked_projects
from smz.registry.models import Project
from smz.testing.docking import answer, docking_app, gateway_post

VECTOR_SIGN = "10d4d37418e7ec39f1e4763c99f1ce2153d78e993858fe242f2b875b4b305d77"
VECTOR_CIPHER = "7UZztFW7CwzvKfMZRY7XsqHuERjzSHsw/1QLR3cwqp0="


@pytest.fixture
def neighbour_admin(world):
    """The enterprise administrator of 戊建设, the GC of 古镇 p2."""
    return User.objects.create(
        username="neighbour_admin",
        role=Role.ENTERPRISE_ADMIN,
        enterprise=world.enterprises["neighbour"],
        display_name="戊建设管理员",
    )


def _authorize(client, world, projects=("p1",), **extra):
    data = {
        "enterprise": world.enterprises["gc"].pk,
        "name": "甲集团实名制系统",
        "vendor": "某科技有限公司",
        "mode": "live",
        "projects": [world.projects[k].pk for k in projects],
    } | extra
    return client.post("/docking/apps/", data)


def test_authorize_shows_the_secret_once_on_an_uncached_page(as_user, world):
    client = as_user("gc_admin")
    r = _authorize(client, world)
    assert r.status_code == 200, r.content.decode()[:500]
    app = DockingApp.objects.get()
    assert app.secret.encode() in r.content and app.app_id.encode() in r.content
    assert "no-store" in r["Cache-Control"]
    assert list(app.user.projects.all()) == [world.projects["p1"]]
    # Never again: neither the detail page nor the list shows it.
    for url in (f"/docking/apps/{app.pk}/", "/docking/apps/"):
        page = client.get(url)
        assert page.status_code == 200 and "no-store" in page["Cache-Control"]
        assert app.app_id.encode() in page.content
        assert app.secret.encode() not in page.content


def test_gc_admin_cannot_authorize_another_gcs_project_or_a_forged_id(as_user, world):
    client = as_user("gc_admin")
    r = _authorize(client, world, projects=("p2",))
    assert r.status_code == 400 and "只能授权本企业为总承包单位的项目" in r.content.decode()
    r = _authorize(client, world, projects=(), name="x")
    assert r.status_code == 400 and "请选择至少一个授权项目" in r.content.decode()
    r = client.post(
        "/docking/apps/",
        {"enterprise": world.enterprises["gc"].pk, "name": "x", "projects": ["1 OR 1"]},
    )
    assert r.status_code == 400
    # The enterprise field cannot lift an enterprise administrator into another GC.
    r = _authorize(client, world, projects=("p2",), enterprise=world.enterprises["neighbour"].pk)
    assert r.status_code == 400
    assert not DockingApp.objects.exists()


def test_sandbox_app_gets_its_own_test_project(as_user, world):
    client = as_user("gc_admin")
    r = _authorize(client, world, projects=(), mode="sandbox")
    assert r.status_code == 200
    app = DockingApp.objects.get()
    (project,) = app.user.projects.all()
    assert app.mode == "sandbox" and project.code.startswith("SBX") and not project.in_scope
    # The sandbox project is not offered for live apps.
    page = client.get("/docking/apps/")
    assert project.code.encode() in page.content  # in the apps table
    assert f'value="{project.pk}"'.encode() not in page.content


def test_neighbouring_gc_admin_cannot_see_rotate_or_revoke(client, world, neighbour_admin):
    app, secret = docking_app(world)
    client.force_login(neighbour_admin)
    assert app.app_id.encode() not in client.get("/docking/apps/").content
    assert client.get(f"/docking/apps/{app.pk}/").status_code == 404
    for data in ({"action": "rotate"}, {"action": "revoke", "reason": "恶意"}):
        assert client.post(f"/docking/apps/{app.pk}/", data).status_code == 404
    r = client.post(
        f"/docking/apps/{app.pk}/", {"action": "scope", "projects": [world.projects["p2"].pk]}
    )
    assert r.status_code == 404
    app.refresh_from_db()
    assert app.secret == secret and app.revoked_at is None
    assert list(app.user.projects.all()) == [world.projects["p1"]]


@pytest.mark.parametrize("persona", ["gc_labor", "town_l1", "sub_labor", "worker"])
def test_only_administrators_have_the_apps_pages(as_user, world, persona):
    app, _ = docking_app(world)
    client = as_user(persona)
    assert client.get("/docking/apps/").status_code == 403
    assert client.get(f"/docking/apps/{app.pk}/").status_code == 403
    assert client.get("/docking/sandbox/").status_code == 403


def test_city_admin_manages_any_gc(as_user, world):
    app, _ = docking_app(world)
    client = as_user("city_admin")
    page = client.get(f"/docking/apps/?enterprise={world.enterprises['neighbour'].pk}")
    assert app.app_id.encode() in page.content
    assert world.projects["p2"].code.encode() in page.content
    r = client.post(
        "/docking/apps/",
        {
            "enterprise": world.enterprises["neighbour"].pk,
            "name": "戊建设系统",
            "mode": "live",
            "projects": [world.projects["p2"].pk],
        },
    )
    assert r.status_code == 200
    assert DockingApp.objects.get(name="戊建设系统").enterprise == world.enterprises["neighbour"]


def test_rotate_shows_a_new_secret_once_and_the_old_one_stops(client, as_user, world):
    app, old = docking_app(world)
    admin = as_user("gc_admin")
    r = admin.post(f"/docking/apps/{app.pk}/", {"action": "rotate"})
    app.refresh_from_db()
    assert r.status_code == 200 and app.secret != old
    assert app.secret.encode() in r.content and "no-store" in r["Cache-Control"]
    assert app.secret.encode() not in admin.get(f"/docking/apps/{app.pk}/").content
    client.logout()
    assert answer(gateway_post(client, app, old, "Project.Query", {}))["code"] == 1006
    assert answer(gateway_post(client, app, app.secret, "Project.Query", {}))["code"] == 0


def test_revoke_needs_a_reason_then_refuses_the_app(as_user, world):
    app, _ = docking_app(world)
    client = as_user("gc_admin")
    r = client.post(f"/docking/apps/{app.pk}/", {"action": "revoke", "reason": "  "})
    assert r.status_code == 400 and "请填写撤销原因" in r.content.decode()
    r = client.post(f"/docking/apps/{app.pk}/", {"action": "revoke", "reason": "更换厂商"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.revoked_at is not None and app.revoke_reason == "更换厂商"
    page = client.get("/docking/apps/").content.decode()
    assert "已撤销" in page and "更换厂商" in page
    r = client.post(f"/docking/apps/{app.pk}/", {"action": "rotate"})
    assert r.status_code == 409


def test_scope_change_and_recent_requests_with_failures(as_user, world):
    app, _ = docking_app(world, ("p1", "p3"))
    now = timezone.now()
    DockingRequest.objects.create(
        serial="team-add-20261205-abc",
        app=app,
        project=world.projects["p1"],
        method="Team.Add",
        data="{}",
        record_count=2,
        accepted_count=1,
        failed_count=1,
        status=DockingRequest.Status.FAILED,
        result={
            "failures": [
                {
                    "index": 1,
                    "code": "docking.order_participant",
                    "message": "[corpCode]参建单位未上传",
                }
            ]
        },
        received_at=now,
        finished_at=now,
    )
    client = as_user("gc_admin")
    page = client.get(f"/docking/apps/{app.pk}/").content.decode()
    assert "team-add-20261205-abc" in page and "第2条 [corpCode]参建单位未上传" in page
    r = client.post(
        f"/docking/apps/{app.pk}/", {"action": "scope", "projects": [world.projects["p3"].pk]}
    )
    assert r.status_code == 302
    assert list(app.user.projects.all()) == [world.projects["p3"]]
    r = client.post(f"/docking/apps/{app.pk}/", {"action": "scope", "projects": ["x"]})
    assert r.status_code == 400
    assert list(app.user.projects.all()) == [world.projects["p3"]]


def _receipt(project, kind, when, app=None):
    return DockingReceipt.objects.create(
        project=project, kind=kind, first_at=when, last_at=when, records=3, last_app=app
    )


def test_undocked_list_by_jurisdiction_and_sources(as_user, world, settings):
    settings.SMZ_DOCKING_STALE_DAYS = 3
    p1, p2 = world.projects["p1"], world.projects["p2"]
    assert p1.in_scope and p2.in_scope
    town = as_user("town_l1")
    page = town.get("/docking/undocked/").content.decode()
    assert p1.code in page and p2.code not in page  # another town's project is not listed
    neighbour = as_user("neighbour_town")
    page = neighbour.get("/docking/undocked/").content.decode()
    assert p2.code in page and p1.code not in page

    now = timezone.now()
    app, _ = docking_app(world)
    _receipt(p1, DockingReceipt.Kind.ATTENDANCE, now - dt.timedelta(days=5), app)
    page = as_user("town_l1").get("/docking/undocked/").content.decode()
    assert p1.code in page and "已授权，无数据" in page  # data older than the window
    _receipt(p1, DockingReceipt.Kind.WORKER, now - dt.timedelta(hours=2), app)
    assert p1.code not in as_user("town_l1").get("/docking/undocked/").content.decode()

    # A project whose own gates upload directly is receiving data too.
    Device.objects.create(
        project=p2,
        serial="GATE-P2",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance=None,
        secret="x" * 32,
        last_upload_at=now - dt.timedelta(days=1),
    )
    qs = Project.objects.filter(pk__in=[p1.pk, p2.pk])
    assert list(undocked_projects(qs, now=now)) == []
    assert list(undocked_projects(qs, now=now + dt.timedelta(days=3))) == [p1, p2]


@pytest.mark.parametrize("persona", ["gc_admin", "gc_labor", "builder", "worker"])
def test_undocked_list_is_for_the_authorities(as_user, world, persona):
    assert as_user(persona).get("/docking/undocked/").status_code == 403


def test_project_page_shows_its_docking_state(as_user, world):
    app, _ = docking_app(world)
    p1 = world.projects["p1"]
    _receipt(p1, DockingReceipt.Kind.ATTENDANCE, timezone.now(), app)
    page = as_user("gc_labor").get(f"/projects/{p1.pk}/").content.decode()
    assert 'data-testid="docking-state"' in page
    assert "甲集团实名制系统" in page and "考勤" in page and "尚未收到" in page


def test_sandbox_calculator_computes_the_vectors_and_stores_nothing(as_user, world):
    client = as_user("gc_admin")
    before = (DockingApp.objects.count(), DockingRequest.objects.count())
    r = client.post(
        "/docking/sandbox/",
        {
            "action": "calculate",
            "appid": "44202026120500001",
            "method": "Project.Query",
            "data": '{"projectCode":"442000202400001","pageIndex":0,"pageSize":10}',
            "nonce": "8f14e45fceea167a5a36dedd4bea2543",
            "timestamp": "20261205143000",
            "secret": "0123456789abcdefABCDEF0123456789",
            "plaintext": "440101199001011234",
        },
    )
    body = r.content.decode()
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    assert VECTOR_SIGN in body and VECTOR_CIPHER in body
    assert (DockingApp.objects.count(), DockingRequest.objects.count()) == before
    r = client.post("/docking/sandbox/", {"action": "calculate", "secret": "short"})
    assert "AppSecret 应为32个字符" in r.content.decode()


def test_sandbox_example_is_signed_with_the_apps_secret_without_showing_it(as_user, world):
    app, secret = docking_app(world)
    client = as_user("gc_admin")
    page = client.get(f"/docking/sandbox/?app={app.pk}&method=Team.Add").content.decode()
    assert app.app_id in page and secret not in page
    assert "teamLeaderIdNumber" in page and "442000199001012359" in page  # the plaintext example
    assert protocol.aes_encrypt("442000199001012359", secret) in page  # as sent
    r = client.post("/docking/sandbox/", {"action": "send", "app": app.pk})
    body = r.content.decode()
    assert 'data-testid="response-status">HTTP 200' in body
    assert world.projects["p1"].code in body and secret not in body


def test_sandbox_offers_only_the_actors_apps(client, world, neighbour_admin):
    app, _ = docking_app(world)
    client.force_login(neighbour_admin)
    page = client.get(f"/docking/sandbox/?app={app.pk}").content.decode()
    assert app.app_id not in page
    r = client.post("/docking/sandbox/", {"action": "send", "app": app.pk})
    assert app.app_id not in r.content.decode()
