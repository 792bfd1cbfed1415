"""Docking pages in the browser (issue 14 item 1 and 6, D3/X8): the GC's administrator authorizes a vendor system
and sees its secret once, reads its requests, uses the sandbox; a town reads its not-docked projects; the project
page shows its docking state. Screenshots docs/screenshots/docking-*.png (the operation guides show them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.devices.models import Device, Entrance
from smz.docking.models import DockingApp, DockingReceipt, DockingRequest
from smz.testing.docking import docking_app
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

VECTOR_SIGN = "10d4d37418e7ec39f1e4763c99f1ce2153d78e993858fe242f2b875b4b305d77"
VECTOR_CIPHER = "7UZztFW7CwzvKfMZRY7XsqHuERjzSHsw/1QLR3cwqp0="


def _history(app: DockingApp, project) -> None:
    """What a vendor system sent yesterday and today: two processed requests, one with a refused record."""
    now = timezone.now()
    for serial, method, status, total, failed, failures in (
        (
            "projectworker-add-20261205-0001",
            "ProjectWorker.Add",
            10,
            3,
            1,
            [{"index": 2, "code": "docking.order_team", "message": "[teamSysNo]值超出范围或无效"}],
        ),
        ("workerattendance-add-20261205-0002", "WorkerAttendance.Add", 20, 120, 0, []),
    ):
        DockingRequest.objects.create(
            serial=serial,
            app=app,
            project=project,
            method=method,
            data="{}",
            record_count=total,
            accepted_count=total - failed,
            failed_count=failed,
            status=status,
            result={"failures": failures},
            received_at=now,
            finished_at=now,
        )
    for kind, records in ((DockingReceipt.Kind.WORKER, 2), (DockingReceipt.Kind.ATTENDANCE, 120)):
        DockingReceipt.objects.create(
            project=project,
            kind=kind,
            first_at=now - dt.timedelta(days=1),
            last_at=now,
            records=records,
            last_app=app,
        )


def test_gc_admin_authorizes_a_vendor_system_and_sees_the_secret_once(
    live_world, login, shot, live_server
):
    p1 = live_world.projects["p1"]
    page = login("gc_admin")
    page.get_by_role("link", name="平台对接").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_contain_text("对接应用")
    page.locator("input[name=name]").fill("甲集团智慧工地实名制系统")
    page.locator("input[name=vendor]").fill("某科技有限公司")
    page.locator(f"#p-{p1.pk}").check()
    page.get_by_role("button", name="授权并生成 AppSecret").click()
    page.wait_for_load_state("networkidle")
    app = DockingApp.objects.get()
    expect(page.get_by_test_id("secret-value")).to_have_text(app.secret)
    expect(page.get_by_test_id("secret")).to_contain_text("/docking/v1/gateway")
    shot(page, "docking-secret")

    # Never shown again: the app's page and the list show its id, not its secret.
    page.goto(f"{live_server.url}/docking/apps/{app.pk}/")
    expect(page.get_by_test_id("app-info")).to_contain_text(app.app_id)
    expect(page.locator("main")).not_to_contain_text(app.secret)
    _history(app, p1)
    page.reload()
    expect(page.get_by_test_id("app-requests")).to_contain_text("第3条 [teamSysNo]值超出范围或无效")
    shot(page, "docking-app")

    page.goto(f"{live_server.url}/docking/apps/")
    expect(page.get_by_test_id("docking-apps")).to_contain_text(app.app_id)
    expect(page.get_by_test_id("docking-apps")).to_contain_text(p1.name)
    expect(page.locator("main")).not_to_contain_text(app.secret)
    shot(page, "docking-apps")

    # The project page shows what arrived through docking.
    page.goto(f"{live_server.url}/projects/{p1.pk}/")
    expect(page.get_by_test_id("docking-receipts")).to_contain_text("考勤")
    expect(page.get_by_test_id("docking-state")).to_contain_text("甲集团智慧工地实名制系统")
    page.get_by_test_id("docking-state").screenshot(path=str(_path("docking-project")))

    # Rotate: a new secret, once; revoke with a reason.
    page.goto(f"{live_server.url}/docking/apps/{app.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("rotate").click()
    page.wait_for_load_state("networkidle")
    app.refresh_from_db()
    expect(page.get_by_test_id("secret-value")).to_have_text(app.secret)
    page.goto(f"{live_server.url}/docking/apps/{app.pk}/")
    page.locator("input[name=reason]").fill("更换实名制系统厂商")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销授权").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("已撤销")
    app.refresh_from_db()
    assert app.revoked_at is not None and app.revoke_reason == "更换实名制系统厂商"


def _path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_sandbox_sends_an_example_and_computes_the_vectors(live_world, login, shot, live_server):
    app, secret = docking_app(live_world)
    page = login("gc_admin")
    page.goto(f"{live_server.url}/docking/sandbox/?app={app.pk}&method=Team.Add")
    expect(page.get_by_test_id("example-fields")).to_contain_text(app.app_id)
    expect(page.get_by_test_id("example")).to_contain_text("teamLeaderIdNumber")
    page.get_by_test_id("send").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("response-status")).to_have_text("HTTP 200")
    expect(page.get_by_test_id("response-body")).to_contain_text(live_world.projects["p1"].code)
    expect(page.locator("main")).not_to_contain_text(secret)
    shot(page, "docking-sandbox")
    page.get_by_test_id("calculate").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("calc-sign")).to_have_text(VECTOR_SIGN)
    expect(page.get_by_test_id("calc-cipher")).to_have_text(VECTOR_CIPHER)
    expect(page.locator("main")).not_to_contain_text(secret)
    page.get_by_test_id("calculator").screenshot(path=str(_path("docking-calculator")))


def test_town_reads_its_undocked_projects(live_world, login, shot, live_server):
    p1, p2 = live_world.projects["p1"], live_world.projects["p2"]
    page = login("town_l1")
    page.get_by_role("link", name="平台对接").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("未对接项目")
    expect(page.get_by_test_id("undocked")).to_contain_text(p1.name)
    expect(page.get_by_test_id("undocked")).not_to_contain_text(p2.name)

    # The city sees every town: p2's app has sent nothing for five days, p3's gates upload directly.
    app, _ = docking_app(live_world, ("p2",), by="city_admin", enterprise="neighbour")
    stale = timezone.now() - dt.timedelta(days=5)
    DockingReceipt.objects.create(
        project=p2, kind=DockingReceipt.Kind.ATTENDANCE, first_at=stale, last_at=stale, last_app=app
    )
    Device.objects.create(
        project=live_world.projects["p3"],
        serial="GATE-P3",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance=Entrance.objects.create(project=live_world.projects["p3"], name="南门"),
        secret="x" * 32,
        last_upload_at=timezone.now(),
    )
    page.context.clear_cookies()
    page = login("city_supervisor")
    page.goto(f"{live_server.url}/docking/undocked/")
    expect(page.get_by_test_id("undocked")).to_contain_text(p1.name)
    expect(page.get_by_test_id("undocked")).to_contain_text("已授权，无数据")
    expect(page.get_by_test_id("undocked")).not_to_contain_text(live_world.projects["p3"].name)
    expect(page.get_by_test_id("docking-counts")).to_contain_text("设备直连有数据")
    shot(page, "docking-undocked")
