"""The demo's wages (`seed_labor`, smz/labor/demo.py) as a first-day user meets them (issue 11 item 7): a closed
month is paid, this month's payroll is a draft in progress, and the showcase (a batch with a failed line, an
exit) is still there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import ensure_reference_data
from smz.accounts.models import User
from smz.attendance.models import DailyAttendance
from smz.labor.demo import build_demo_labor
from smz.labor.models import ExitSettlement, Payroll, PayrollLine
from smz.registry import demo
from smz.registry.models import Employment, Project


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def demo_week(db) -> Project:
    """The demo city and, on gc_labor's showcase project, a simulated week (the last 7 days) for 12 workers."""
    ensure_reference_data()
    demo.build_demo_city(workers=40)
    project = Project.objects.filter(assigned_users__username="gc_labor").order_by("pk").first()
    today = timezone.localdate()
    people = Employment.objects.filter(
        project=project, status="active", work_role=Employment.Role.WORKER
    ).order_by("pk")
    worker = User.objects.get(username="worker").worker_id
    chosen = list(people.filter(worker=worker)) + list(people.exclude(worker=worker)[:11])
    days = [today - dt.timedelta(days=n) for n in range(7)]
    DailyAttendance.objects.bulk_create(
        [
            DailyAttendance(
                project=project,
                worker=e.worker,
                work_date=day,
                attended=True,
                minutes=540,
                valid_passes=2,
            )
            for e in chosen
            for day in days
            if day >= e.entry_on
        ]
    )
    return project


def test_issue11_demo_pays_the_closed_month_and_drafts_this_one(demo_week):
    today = timezone.localdate()
    first = today.replace(day=1)
    closed = (first - dt.timedelta(days=1)).replace(day=1)
    done = build_demo_labor()
    assert "skipped" not in done and not done.get("problems"), done
    mine = Payroll.objects.filter(project=demo_week)
    # Nothing of this month is paid or even submitted: the month is not over.
    assert not PayrollLine.objects.filter(payroll__month=first, pay_status="paid").exists()
    current = mine.filter(month=first)
    assert current.exists() and all(p.state == Payroll.State.DRAFT for p in current)
    # Last month is paid today, for the whole month's days (not the few of the simulated week).
    paid = PayrollLine.objects.filter(payroll__project=demo_week, pay_status="paid")
    assert paid.exists() and set(paid.values_list("payroll__month", flat=True)) == {closed}
    assert set(paid.values_list("paid_on", flat=True)) == {today}
    assert max(paid.values_list("days_attended", flat=True)) >= 15
    # The showcase: one failed line in the batch, one registered exit.
    assert "失败 1" in done["batch"]
    assert ExitSettlement.objects.filter(state=ExitSettlement.State.REGISTERED).count() == 1
