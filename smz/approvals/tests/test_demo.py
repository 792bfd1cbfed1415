"""The demo's workflows (`seed_workflows`, smz/approvals/demo.py) as a first-day user meets them (issue 11 item 7):
a returned start-date request that could really be filed, and a 材料预览 that shows a page, never an empty panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import ensure_reference_data
from smz.approvals import workflows
from smz.approvals.demo import build_demo_workflows
from smz.approvals.models import ApprovalRequest, RequestKind, State
from smz.registry import demo


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def flows(db, settings) -> dict:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    ensure_reference_data()
    demo.build_demo_city(workers=40)
    return build_demo_workflows()


def test_issue11_returned_start_change_is_a_day_ahead_within_the_permit(flows):
    """Not 2025-05-04 (an already started project's actual start): a later start for a project not yet
    started, ahead of today and inside the permit's start window."""
    r = ApprovalRequest.objects.get(no=flows["returned"])
    assert r.kind == RequestKind.START_CHANGE and r.state == State.RETURNED
    today = timezone.localdate()
    life = workflows.project_permit_life(r.project)
    assert r.project.actual_start is None
    assert today < r.requested_date <= life.valid_until
    assert r.requested_date != r.project.planned_start
    assert r.facts["extension"] is False


def test_issue11_preview_is_a_light_note_until_a_file_is_chosen(flows, client):
    """The 材料预览 panel loaded the first PDF with the page and showed as a large dark empty viewer; now it
    holds a note until a file is clicked, and each file opens there fitted to the width."""
    client.force_login(demo_user("gc_admin"))
    for r in ApprovalRequest.objects.all():
        html = client.get(reverse("approvals:detail", args=[r.pk])).content.decode()
        assert (
            '<iframe name="docview" title="材料预览" class="w-100 h-100 border-0"></iframe>' in html
        )
        assert 'data-testid="preview-empty">点击左侧材料预览<' in html, r.no
        for a in r.attachments.exclude(kind="site_photo"):
            url = reverse("approvals:attachment", args=[a.pk])
            assert f'href="{url}#view=FitH&amp;navpanes=0" target="docview"' in html


def test_issue11_preview_without_any_file_says_what_to_do(db, world, as_user):
    from smz.approvals import services

    r = services.request_create(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        kind=RequestKind.ATTENDANCE_STOP,
        requested_date=timezone.localdate() + dt.timedelta(days=3),
        reason="评定报告已出具",
    )
    html = as_user("gc_labor").get(reverse("approvals:detail", args=[r.pk])).content.decode()
    assert 'data-testid="preview-empty">尚未上传材料<' in html  # no file, and no form for this kind
    assert "min-height:70vh" not in html  # styles in portal.css (CSP: no style attributes)
    assert "{#" not in html and "{% comment" not in html


def demo_user(username: str):
    from smz.accounts.models import User

    return User.objects.get(username=username)
