"""The webhook delivery log in the browser (issue 14 item 4): the GC's enterprise administrator sets the REST
docking app's callback URL, reads each delivery's attempts and errors, and resends a failed one."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from smz.docking.models import DockingDelivery, DockingRequest
from smz.docking.services import webhooks
from smz.testing.docking import docking_app

pytestmark = pytest.mark.browser


class Receiver:
    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    def __call__(self, url, body, headers, timeout):
        status = self.statuses.pop(0) if self.statuses else 200
        return webhooks.Reply(status, "" if status else "ConnectionRefusedError: 拒绝连接")


def _request(app, project, serial: str, method: str) -> DockingRequest:
    return DockingRequest.objects.create(
        serial=serial,
        app=app,
        project=project,
        method=method,
        data=json.dumps({}),
        record_count=3,
        accepted_count=3,
        status=DockingRequest.Status.DONE,
        received_at=timezone.now(),
        finished_at=timezone.now(),
    )


def test_gc_admin_sets_the_callback_and_resends_a_failed_delivery(
    live_world, login, shot, live_server
):
    p1 = live_world.projects["p1"]
    app, _ = docking_app(live_world, ("p1",))
    webhooks.docking_webhook_url_set(
        actor=live_world.user("gc_admin"), app=app, url="https://old.example.com/hooks"
    )
    delivered = webhooks.webhook_request_finished(
        _request(app, p1, "team-add-20261205093000-1a2b3c4d5e", "Team.Add")
    )
    webhooks.docking_delivery_attempt(delivered.delivery_id, transport=Receiver(200))
    failed = webhooks.webhook_request_finished(
        _request(app, p1, "projectworker-add-20261205094500-6f7a8b9c0d", "ProjectWorker.Add")
    )
    moment = timezone.now()
    for status in (500, 0, 503, 502, 500, 500):
        webhooks.docking_delivery_attempt(
            failed.delivery_id, transport=Receiver(status), now=moment
        )
        failed.refresh_from_db()
        moment = failed.next_attempt_at or moment
    retrying = webhooks.webhook_request_finished(
        _request(app, p1, "workerattendance-add-20261205101500-e1f2a3b4c5", "WorkerAttendance.Add")
    )
    webhooks.docking_delivery_attempt(retrying.delivery_id, transport=Receiver(0))
    assert DockingDelivery.objects.get(pk=failed.pk).status == DockingDelivery.Status.FAILED

    page = login("gc_admin")
    page.goto(f"{live_server.url}/docking/apps/{app.pk}/webhooks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("回调记录")
    table = page.get_by_test_id("deliveries")
    expect(table).to_contain_text(failed.delivery_id)
    expect(table).to_contain_text("发送失败")
    expect(table).to_contain_text("已送达")
    expect(table).to_contain_text("ConnectionRefusedError")

    page.get_by_test_id("webhook-url").fill("http://vendor.example.com/hooks")
    page.get_by_test_id("webhook-save").click()
    expect(page.get_by_test_id("webhook-error")).to_contain_text("https://")
    page.get_by_test_id("webhook-url").fill("https://vendor.example.com/smz/hooks")
    page.get_by_test_id("webhook-save").click()
    expect(page.get_by_test_id("webhook-notice")).to_have_text("回调地址已保存")

    page.get_by_test_id(f"resend-{failed.delivery_id}").click()
    expect(page.get_by_test_id("webhook-notice")).to_contain_text("已重新排队发送")
    row = page.get_by_test_id(f"delivery-{failed.delivery_id}")
    expect(row).to_contain_text("待发送")
    app.refresh_from_db()
    assert app.webhook_url == "https://vendor.example.com/smz/hooks"
    assert DockingDelivery.objects.get(pk=failed.pk).status == DockingDelivery.Status.PENDING
    # Put the failed one back for the picture: the log as an owner finds it after a night of 500s.
    DockingDelivery.objects.filter(pk=failed.pk).update(
        status=DockingDelivery.Status.FAILED, attempts=6, next_attempt_at=None
    )
    page.goto(f"{live_server.url}/docking/apps/{app.pk}/webhooks/")
    expect(page.get_by_test_id("deliveries")).to_contain_text("发送失败")
    shot(page, "docking-webhooks")
