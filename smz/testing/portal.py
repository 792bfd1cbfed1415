"""Portal test helpers: a busy day in the test city for the dashboards."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smz.approvals import services as approval_services
from smz.approvals.models import RequestKind
from smz.attendance import selectors as attendance_selectors
from smz.attendance.models import DailyAttendance, PassRecord
from smz.devices.models import Device, Entrance
from smz.labor.models import Payroll, PayrollLine
from smz.registry.models import Employment, KeyPost, KeyPostChange, Project
from smz.testing.approvals import fresh_permit, request_filed
from smz.testing.labor import contract


def attendance_day(employment: Employment, day: dt.date) -> None:
    DailyAttendance.objects.create(
        project=employment.project,
        worker=employment.worker,
        work_date=day,
        attended=True,
        minutes=480,
        valid_passes=2,
    )


def gate_device(project: Project, serial: str, *, online: bool) -> Device:
    return Device.objects.create(
        project=project,
        serial=serial,
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance=Entrance.objects.get_or_create(project=project, name="东门")[0],
        last_heartbeat_at=timezone.now() if online else None,
    )


def passes_add(device: Device, employment: Employment, n: int, day: dt.date) -> None:
    now = timezone.now()
    PassRecord.objects.bulk_create(
        PassRecord(
            device=device,
            device_record_id=f"{device.serial}-{employment.pk}-{i}",
            project=employment.project,
            worker=employment.worker,
            event_time=now,
            work_date=day,
            received_at=now,
        )
        for i in range(n)
    )


def payroll_with_lines(world, project: str, employer: str, keys: list[str], who: str) -> Payroll:
    payroll = Payroll.objects.create(
        no=f"GZ-{project}-{employer}",
        project=world.projects[project],
        employer=world.enterprises[employer],
        month=dt.date(2026, 10, 1),
        pay_due_on=dt.date(2026, 11, 10),
        created_by=world.user(who),
    )
    for key in keys:
        e = world.employments[key]
        PayrollLine.objects.create(
            payroll=payroll,
            employment=e,
            worker=e.worker,
            days_attended=20,
            minutes_attended=9600,
            days_paid=20,
            hours_paid=160,
            wage_kind="daily",
            rate_fen=30000,
            gross_fen=600000,
            net_fen=600000,
        )
    return payroll


def busy_day(world):
    """Today in the test city: on p1 (小榄) the GC's worker and the project manager attended, two devices (one
    offline), the subcontractor's worker waits for his entry checks, the GC's worker's contract ends in ten
    days, a draft payroll of two unconfirmed lines, a request waiting for the town's level 1, a permit
    change waiting for the window. The neighbour (古镇, p2) has the same kinds of things, which must never
    count for anyone in 小榄 or at 甲建设."""
    today = attendance_selectors.today()
    w = world
    attendance_day(w.employments["gc"], today)
    attendance_day(w.employments["pm"], today)
    attendance_day(w.employments["neighbour"], today)
    gate = gate_device(w.projects["p1"], "P1-GATE", online=True)
    gate_device(w.projects["p1"], "P1-SIDE", online=False)
    far = gate_device(w.projects["p2"], "P2-GATE", online=False)
    passes_add(gate, w.employments["gc"], 2, today)
    passes_add(gate, w.employments["pm"], 2, today)
    passes_add(far, w.employments["neighbour"], 5, today)
    Employment.objects.filter(
        pk__in=[w.employments["sub"].pk, w.employments["neighbour"].pk]
    ).update(gate_status="pending")
    contract(w, "gc", end_on=timezone.localdate() + dt.timedelta(days=10))
    contract(
        w, "neighbour", actor="neighbour_labor", end_on=timezone.localdate() + dt.timedelta(days=5)
    )
    payroll_with_lines(w, "p1", "gc", ["gc", "pm"], "gc_labor")
    payroll_with_lines(w, "p2", "neighbour", ["neighbour"], "neighbour_labor")
    fresh_permit(w.projects["p1"])
    r = request_filed(
        w, RequestKind.START_CHANGE, date=w.projects["p1"].planned_start + dt.timedelta(days=7)
    )
    approval_services.request_act(actor=w.user("gc_labor"), request=r, action="submit")
    # Back to a project long started, so its key posts must be attended today.
    Project.objects.filter(pk=w.projects["p1"].pk).update(planned_start=dt.date(2024, 2, 1))
    KeyPostChange.objects.create(
        key_post=KeyPost.objects.get(project=w.projects["p1"], post="P03"),
        new_worker=w.workers["gc"],
        permit_ref="变更〔2026〕1号",
        permit_approved_on=timezone.localdate(),
        source="authority",
    )
    w.request = r
    return w
