"""The conformance kit end to end (附件8, issue 14 "Done when"): a sandbox app docks its test project through the
real HTTP gateway of a live server — participant → team → workers → contract → training → entry → attendance
(and its resend) → payroll, every query, the order and scope refusals — and the kit prints `N passed, 0 failed`.

It needs every method of smz/docking/methods: on a branch without them it fails, visibly (never skipped)."""

from __future__ import annotations

import io

import pytest

from smz.docking import conformance
from smz.docking.models import DockingReceipt, DockingRequest
from smz.docking.services.apps import docking_app_authorize
from smz.docking.services.requests import docking_requests_pending_process
from smz.testing.docking import GATEWAY


@pytest.fixture
def sandbox_app(transactional_db, world):
    """A sandbox app of 甲建设 (its own out-of-scope test project), committed for the live server."""
    return docking_app_authorize(
        actor=world.user("gc_admin"),
        enterprise=world.enterprises["gc"],
        name="一致性测试",
        vendor="某科技有限公司",
        project_ids=[],
        mode="sandbox",
    )


def test_the_kit_docks_a_sandbox_project_end_to_end(live_server, sandbox_app, settings):
    # The background work (the request's processing, the attendance it recomputes) runs as it is enqueued, as a
    # db_worker beside the server does in `make run`.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    app, secret = sandbox_app
    (project,) = app.user.projects.all()
    http = conformance.http_sender(f"{live_server.url}{GATEWAY}")

    def send(fields: dict[str, str]) -> tuple[int, bytes]:
        # Anything the immediate backend did not pick up (nothing, normally) is processed before the next call.
        answer = http(fields)
        docking_requests_pending_process()
        return answer

    out = io.StringIO()
    kit = conformance.run(send, appid=app.app_id, secret=secret, project=project.code, out=out)
    text = out.getvalue()
    assert kit.failed == 0, text
    assert text.splitlines()[-1] == f"{kit.passed} passed, 0 failed"
    assert kit.passed == 25
    assert secret not in text
    # The project's docking state has every kind it was sent; the payroll's comes when the workers have
    # confirmed their lines and the sheet is submitted (the kit's sheet waits for them).
    kinds = set(DockingReceipt.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == set(DockingReceipt.Kind.values) - {DockingReceipt.Kind.PAYROLL}
    assert "待工人确认" in text
    assert not DockingRequest.objects.filter(status=DockingRequest.Status.PENDING).exists()
