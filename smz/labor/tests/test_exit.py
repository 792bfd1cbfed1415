"""Exit (L3): the confirmation is drawn from attendance and submitted payrolls, confirmed by the worker only,
immutable once confirmed, and the exit registration removes him from the site's devices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smz.core.errors import DomainError
from smz.devices.models import DeviceCommand
from smz.devices.services import device_register
from smz.labor.models import ExitSettlement, Payroll, PayrollLine
from smz.labor.services import exits
from smz.testing.approvals import PDF
from smz.testing.errors import refused
from smz.testing.labor import (
    attend,
    submitted_october,
)

EXIT_ON = dt.date(2026, 11, 5)


@pytest.fixture
def paid_october(world):
    """测试乙工: 18 days in October, 5,040.00 on a submitted sheet, 3,000.00 of it paid."""
    payroll = submitted_october(world)
    PayrollLine.objects.filter(payroll=payroll).update(paid_fen=300000, pay_status="paid")
    return world


def prepare(world, who="sub_labor", exit_on=EXIT_ON):
    return exits.exit_prepare(
        actor=world.user(who),
        employment=world.employments["sub"],
        exit_on=exit_on,
        workload="木模板安装 1,200 平方米",
    )


def test_r_l3_confirmation_figures_come_from_attendance_and_payroll(paid_october):
    s = prepare(paid_october)
    assert s.days_attended == 18
    assert s.months == [["2026-10", 504000, 300000]]
    assert (s.owed_fen, s.paid_fen, s.balance_fen) == (504000, 300000, 204000)
    assert s.unpaid_attendance_months == []
    assert s.no.startswith("TC") and s.state == ExitSettlement.State.DRAFT


def test_r_l3_attendance_without_a_payroll_is_named(world):
    attend(world, "sub", 3)
    s = prepare(world)
    assert s.unpaid_attendance_months == ["2026-10"] and s.owed_fen == 0


def test_r_l3_only_the_worker_confirms_and_confirmed_figures_never_change(paid_october):
    s = prepare(paid_october)
    for who in ("sub_labor", "gc_labor", "neighbour_labor"):
        with refused("forbidden"):
            exits.exit_confirm(actor=paid_october.user(who), settlement=s)
    exits.exit_confirm(actor=paid_october.user("worker"), settlement=s)
    s.refresh_from_db()
    assert s.state == ExitSettlement.State.CONFIRMED and s.confirmed_via == "online"
    with pytest.raises(DomainError) as exc:
        prepare(paid_october, exit_on=EXIT_ON - dt.timedelta(days=1))
    assert exc.value.code == "labor.exit_confirmed"
    with refused("labor.exit_confirmed"):
        exits.exit_signed_scan_attach(
            actor=paid_october.user("sub_labor"), settlement=s, data=PDF, filename="x.pdf"
        )
    s.refresh_from_db()
    assert s.exit_on == EXIT_ON and s.balance_fen == 204000


def test_r_l3_register_needs_confirmation_then_removes_from_devices(paid_october):
    w = paid_october
    zk, _ = device_register(
        actor=w.user("gc_labor"),
        project=w.projects["p1"],
        serial="ZK-EXIT-1",
        kind="face_gate",
        protocol="zkteco_push",
        entrance="东门",
    )
    s = prepare(w)
    with pytest.raises(DomainError) as exc:
        exits.exit_register(actor=w.user("sub_labor"), settlement=s)
    assert exc.value.code == "labor.exit_not_confirmed"
    exits.exit_signed_scan_attach(
        actor=w.user("sub_labor"), settlement=s, data=PDF, filename="x.pdf"
    )
    exits.exit_register(actor=w.user("sub_labor"), settlement=s)
    e = w.employments["sub"]
    e.refresh_from_db()
    assert e.status == "exited" and e.exit_on == EXIT_ON
    cmd = DeviceCommand.objects.get(device=zk, kind="remove_person")
    assert cmd.payload == {"person_id": w.workers["sub"].pk}


def test_r_l3_exit_dates_are_checked(world):
    with pytest.raises(DomainError) as exc:
        prepare(world, exit_on=dt.date(2024, 1, 1))
    assert "exit_on" in exc.value.detail["fields"]
    with pytest.raises(DomainError):
        prepare(world, who="neighbour_labor")


def test_r_l3_exit_pages(paid_october, as_user):
    w = paid_october
    e = w.employments["sub"]
    c = as_user("sub_labor")
    c.post(
        reverse("labor:exit", args=[e.pk]),
        {"action": "prepare", "exit_on": EXIT_ON.isoformat(), "workload": "木模板安装"},
    )
    s = ExitSettlement.objects.get(employment=e)
    page = c.get(reverse("labor:exit", args=[e.pk])).content.decode()
    assert "2,040.00" in page and "未确认" in page
    pdf = c.get(reverse("labor:exit_pdf", args=[s.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    worker = as_user("worker")
    assert "未结清 2,040.00" in worker.get(reverse("labor:my_wages")).content.decode()
    worker.post(reverse("labor:my_wages"), {"exit": s.pk})
    s.refresh_from_db()
    assert s.state == ExitSettlement.State.CONFIRMED
    c = as_user("sub_labor")
    c.post(reverse("labor:exit", args=[e.pk]), {"action": "register"})
    s.refresh_from_db()
    assert s.state == ExitSettlement.State.REGISTERED
    assert as_user("neighbour_labor").get(reverse("labor:exit_pdf", args=[s.pk])).status_code == 404
    scan = SimpleUploadedFile("x.pdf", PDF, "application/pdf")
    as_user("neighbour_labor").post(
        reverse("labor:exit", args=[e.pk]), {"action": "scan", "file": scan}
    )
    assert Payroll.objects.count() == 1
