"""The demo city's week of judgements (`seed_compliance`, smz/compliance/demo.py; issue 13 "done when"): reviews,
confirmations, a dismissal, an appeal that wins — and the grade follows; a second run does nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from conftest import ensure_reference_data
from smz.compliance.models import Appeal, Deduction, DeductionReversal
from smz.compliance.selectors.review import credit_rows
from smz.core.models import SeedStep
from smz.registry import demo


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def judged_city(rules):
    ensure_reference_data()
    demo.build_demo_city(workers=40)
    call_command("compliance_run", "--demo-week", stdout=io.StringIO())
    assert Deduction.objects.filter(state=Deduction.State.PROPOSED).exists()


def test_seed_compliance_plays_the_story_once(judged_city):
    call_command("seed_compliance", "--if-empty", stdout=(out := io.StringIO()))
    text = out.getvalue()
    assert "演示考核审核已就绪" in text and "撤销扣分" in text
    assert Deduction.objects.filter(state=Deduction.State.CONFIRMED).count() >= 1
    (dismissed,) = Deduction.objects.filter(state=Deduction.State.DISMISSED)
    assert dismissed.decision_note and dismissed.decided_by.username == "xiaolan2"
    (reversal,) = DeductionReversal.objects.all()
    appeal = reversal.appeal
    assert appeal.state == Appeal.State.REVERSED and appeal.decided_by.username == "xiaolan1"
    assert appeal.filed_by.username in {"gc_labor", "gc_admin", "sub_labor"}
    assert appeal.attachments.count() == 1
    # The reversed deduction no longer costs points: the enterprise's score counts the other confirmed ones.
    enterprise = reversal.deduction.enterprise
    row = next(r for r in credit_rows() if r.enterprise == enterprise)
    counted = sum(
        d.points
        for d in Deduction.objects.filter(enterprise=enterprise, state=Deduction.State.CONFIRMED)
        if d.pk != reversal.deduction_id
    )
    assert row.points == counted
    before = (
        Deduction.objects.exclude(state=Deduction.State.PROPOSED).count(),
        Appeal.objects.count(),
    )
    call_command("seed_compliance", "--if-empty", stdout=(out := io.StringIO()))
    assert "跳过" in out.getvalue()
    after = (
        Deduction.objects.exclude(state=Deduction.State.PROPOSED).count(),
        Appeal.objects.count(),
    )
    assert after == before


def test_seed_compliance_leaves_reviewed_data_alone(judged_city):
    """--if-empty on a database whose deductions were already reviewed by someone: nothing is played."""
    Deduction.objects.filter(pk=Deduction.objects.order_by("pk").first().pk).update(
        state=Deduction.State.REVIEWED
    )
    call_command("seed_compliance", "--if-empty", stdout=(out := io.StringIO()))
    assert "跳过" in out.getvalue()
    assert (
        not Appeal.objects.exists() and not SeedStep.objects.filter(name="demo_compliance").exists()
    )
