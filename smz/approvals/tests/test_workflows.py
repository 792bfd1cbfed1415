"""The approval engine and WF1–WF5 (notice 三(八)–(十二)): transitions and refusals, routing, the permit
rule's edge dates, and the obligations before and after each approval."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals import permit, rules, services, workflows
from smz.approvals.models import (
    ApprovalRequest,
    AttachmentKind,
    InboundSystem,
    RequestKind,
    State,
)
from smz.approvals.selectors import project_timeline
from smz.attendance.models import KeyPostDay
from smz.attendance.services import key_post_days_compute
from smz.core.errors import DomainError
from smz.core.models import Event
from smz.notifications.models import Notification
from smz.registry import project_changes
from smz.registry.models import Authority, KeyPost, KeyPostChange, Project, ProjectPause
from smz.registry.obligations import Exemption, key_post_exemption, project_calendar
from smz.registry.project_changes import project_statuses_refresh
from smz.registry.reference import SAFETY_AUTHORITY
from smz.registry.selectors import approving_authority
from smz.testing.approvals import PDF, fresh_permit, request_filed, today
from smz.testing.devices import jpeg
from smz.testing.errors import refused


def _through(world, r, *, l1="town_l1", l2="town_l2"):
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    services.request_act(actor=world.user(l1), request=r, action="forward", note="材料齐全")
    return services.request_act(actor=world.user(l2), request=r, action="approve").request


# ---- routing -------------------------------------------------------------------------------------


def test_r_wf_routing_town_and_urban_district(world):
    town = approving_authority(world.projects["p1"])
    assert town.name == "小榄镇住房城乡建设部门"
    urban = approving_authority(world.projects["p3"])
    assert urban.name == SAFETY_AUTHORITY and urban.kind == Authority.Kind.SAFETY


def test_r_wf_urban_request_goes_to_safety_center_and_town_cannot_act(world):
    p3 = fresh_permit(world.projects["p3"])
    world.user("gc_labor").projects.add(p3)
    r = request_filed(
        world, RequestKind.START_CHANGE, project="p3", date=p3.planned_start + dt.timedelta(5)
    )
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    with pytest.raises(DomainError) as exc:
        services.request_act(actor=world.user("town_l1"), request=r, action="forward")
    assert exc.value.code == "approval.not_your_step"
    services.request_act(actor=world.user("safety_l1"), request=r, action="forward")
    r = services.request_act(actor=world.user("safety_l2"), request=r, action="approve").request
    assert r.state == State.APPROVED


# ---- the state machine ---------------------------------------------------------------------------


def test_r_wf1_full_flow_moves_planned_start_and_manager_checks(world):
    p1 = fresh_permit(world.projects["p1"])
    new = p1.planned_start + dt.timedelta(days=20)
    r = request_filed(world, RequestKind.START_CHANGE, date=new)
    assert r.authority.name == "小榄镇住房城乡建设部门" and r.state == State.DRAFT
    assert project_calendar(p1).checks_from == p1.planned_start + dt.timedelta(days=10)
    r = _through(world, r)
    p1.refresh_from_db()
    assert p1.planned_start == new
    assert project_calendar(p1).checks_from == new + dt.timedelta(days=10)
    assert r.level1_by == world.user("town_l1") and r.level2_by == world.user("town_l2")
    kinds = list(
        Event.objects.filter(subject_type="approvals.approvalrequest", subject_id=r.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds[0] == "approval.create" and kinds[-2:] == ["approval.approve", "approval.apply"]
    assert "approval.forward" in kinds
    assert Event.objects.filter(kind="project.start_changed", subject_id=p1.pk).exists()


@pytest.mark.parametrize(
    ("state_action", "bad_action", "who"),
    [
        ([], "approve", "town_l2"),  # a draft cannot be approved
        ([], "forward", "town_l1"),
        (["submit"], "approve", "town_l2"),  # level 2 cannot skip level 1
        (["submit"], "resubmit", "gc_labor"),
        (["submit", "forward"], "forward", "town_l1"),
        (["submit", "forward"], "submit", "gc_labor"),
    ],
)
def test_r_wf_invalid_transitions_are_refused(world, state_action, bad_action, who):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    actors = {"submit": "gc_labor", "forward": "town_l1"}
    for action in state_action:
        services.request_act(actor=world.user(actors[action]), request=r, action=action)
    r.refresh_from_db()
    before = r.state
    with pytest.raises(DomainError) as exc:
        services.request_act(actor=world.user(who), request=r, action=bad_action)
    assert exc.value.code == "approval.invalid_transition" and exc.value.status == 409
    r.refresh_from_db()
    assert r.state == before


def test_r_wf_wrong_people_are_refused_at_each_level(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    for outsider in ("sub_labor", "neighbour_labor", "town_l1"):
        with refused("approval.not_your_step"):
            services.request_act(actor=world.user(outsider), request=r, action="submit")
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    for wrong in ("neighbour_town", "safety_l1", "town_l2", "gc_labor", "city_admin"):
        with pytest.raises(DomainError) as exc:
            services.request_act(actor=world.user(wrong), request=r, action="forward")
        assert exc.value.code in {"approval.not_your_step", "approval.invalid_transition"}


def test_r_wf_same_person_cannot_act_at_both_levels(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    l1 = world.user("town_l1")
    services.request_act(actor=l1, request=r, action="forward")
    l1.role = Role.APPROVER_L2  # promoted the same afternoon: still may not approve his own forward
    l1.save()
    with pytest.raises(DomainError) as exc:
        services.request_act(actor=l1, request=r, action="approve")
    assert exc.value.code == "approval.same_person"
    assert rules.actions_for(l1, r) == []


def test_r_wf_return_fix_resubmit_then_reject_needs_a_note(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    labor = world.user("gc_labor")
    services.request_act(actor=labor, request=r, action="submit")
    with pytest.raises(DomainError) as exc:
        services.request_act(actor=world.user("town_l1"), request=r, action="return")
    assert exc.value.code == "approval.note_required"
    services.request_act(
        actor=world.user("town_l1"), request=r, action="return", note="照片未显示拍摄时间"
    )
    r.refresh_from_db()
    assert r.state == State.RETURNED
    assert Notification.objects.filter(user=labor, request=r, title__contains="退回").exists()
    services.attachment_add(
        actor=labor, request=r, kind=AttachmentKind.PHOTO_SHEET_SCAN, data=jpeg(), filename="p.jpg"
    )
    assert r.attachments.filter(superseded_at__isnull=False).count() == 1  # the old scan is kept
    services.request_update(
        actor=labor, request=r, requested_date=r.requested_date, reason="补充照片后重新提交"
    )
    services.request_act(actor=labor, request=r, action="resubmit")
    services.request_act(actor=world.user("town_l1"), request=r, action="forward")
    services.request_act(
        actor=world.user("town_l2"), request=r, action="reject", note="现场已开工，无需变更"
    )
    r.refresh_from_db()
    p1.refresh_from_db()
    assert r.state == State.REJECTED and r.effective_on is None
    assert p1.planned_start == today() + dt.timedelta(days=10)  # unchanged


def test_r_wf_withdraw_and_one_open_request_per_kind(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    with pytest.raises(DomainError) as exc:
        request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=4))
    assert exc.value.code == "approval.open_exists"
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    services.request_act(actor=world.user("gc_pm"), request=r, action="withdraw")
    r.refresh_from_db()
    assert r.state == State.WITHDRAWN
    request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=4))


def test_r_wf_submit_needs_required_attachments(world):
    p1 = fresh_permit(world.projects["p1"])
    r = services.request_create(
        actor=world.user("gc_labor"),
        project=p1,
        kind=RequestKind.START_CHANGE,
        requested_date=p1.planned_start + dt.timedelta(days=3),
        reason="理由",
    )
    services.attachment_add(
        actor=world.user("gc_labor"),
        request=r,
        kind=AttachmentKind.FORM_SCAN,
        data=PDF,
        filename="f.pdf",
    )
    with pytest.raises(DomainError) as exc:
        services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    assert exc.value.code == "approval.attachments_missing"
    assert exc.value.detail["missing"] == [AttachmentKind.PHOTO_SHEET_SCAN]


def test_r_wf_uploads_are_checked_by_content(world):
    p1 = fresh_permit(world.projects["p1"])
    r = services.request_create(
        actor=world.user("gc_labor"),
        project=p1,
        kind=RequestKind.START_CHANGE,
        requested_date=p1.planned_start + dt.timedelta(days=3),
        reason="理由",
    )
    with pytest.raises(DomainError) as exc:
        services.attachment_add(
            actor=world.user("gc_labor"),
            request=r,
            kind=AttachmentKind.FORM_SCAN,
            data=b"<html><script>alert(1)</script></html>",
            filename="form.pdf",
        )
    assert exc.value.code == "upload.type"
    with refused("upload.type"):  # a PDF is not a site photo
        services.attachment_add(
            actor=world.user("gc_labor"),
            request=r,
            kind=AttachmentKind.SITE_PHOTO,
            data=PDF,
            filename="x.pdf",
        )
    assert not r.attachments.exists()


def test_r_wf_notifications_and_email_reach_the_next_handler(world):
    world.user("town_l1").email = "l1@town.example"
    world.user("town_l1").save()
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    with pytest.raises(Exception):  # noqa: B017 - nothing sent before submission
        Notification.objects.get(user=world.user("town_l1"))
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    assert Notification.objects.filter(user=world.user("town_l1"), request=r).count() == 1
    assert not Notification.objects.filter(user=world.user("neighbour_town")).exists()


@pytest.mark.django_db(transaction=True)
def test_r_wf_email_goes_out_after_commit(world):
    world.user("town_l1").email = "l1@town.example"
    world.user("town_l1").save()
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    assert [m.to for m in mail.outbox] == [["l1@town.example"]]
    assert r.no in mail.outbox[0].subject


def test_r_wf_overdue_requests_are_reminded_once_a_day(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    later = timezone.now() + dt.timedelta(days=rules.LEVEL_DAYS[State.PENDING_L1] + 1)
    assert services.reminders_send(now=later) == 1
    assert services.reminders_send(now=later + dt.timedelta(hours=2)) == 0
    assert services.reminders_send(now=later + dt.timedelta(days=1)) == 1
    reminders = Notification.objects.filter(user=world.user("town_l1"), title__startswith="催办")
    assert reminders.count() == 2
    assert Event.objects.filter(kind="approval.remind", subject_id=r.pk).count() == 2


# ---- WF1: the permit rule ------------------------------------------------------------------------

ISSUED = dt.date(2024, 1, 10)


def _life(used=0, today=dt.date(2024, 2, 1)):
    return permit.permit_life(issued_on=ISSUED, extensions_used=used, started=False, today=today)


def test_r_wf1_exactly_three_months_needs_no_extension():
    assert permit.start_date_check(_life(), dt.date(2024, 4, 10)) is False
    assert permit.start_date_check(_life(), dt.date(2024, 4, 11)) is True


def test_r_wf1_an_extension_is_at_most_three_months():
    assert permit.start_date_check(_life(), dt.date(2024, 7, 10)) is True
    with pytest.raises(DomainError) as exc:
        permit.start_date_check(_life(), dt.date(2024, 7, 11))
    assert exc.value.code == "approval.permit_extension_too_long"


def test_r_wf1_second_extension_allowed_third_refused():
    second = _life(used=1, today=dt.date(2024, 7, 1))
    assert second.valid_until == dt.date(2024, 7, 10)
    assert permit.start_date_check(second, dt.date(2024, 10, 10)) is True
    third = _life(used=2, today=dt.date(2024, 10, 1))
    assert third.valid_until == dt.date(2024, 10, 10)
    assert permit.start_date_check(third, dt.date(2024, 10, 10)) is False
    with pytest.raises(DomainError) as exc:
        permit.start_date_check(third, dt.date(2024, 10, 11))
    assert exc.value.code == "approval.permit_extensions_exhausted"


def test_r_wf1_after_the_period_no_extension_and_never_before_issue():
    late = _life(today=dt.date(2024, 4, 11))
    assert late.expired and "废止" in late.warning
    with pytest.raises(DomainError) as exc:
        permit.start_date_check(late, dt.date(2024, 5, 1))
    assert exc.value.code == "approval.permit_lapsed"
    assert (
        permit.start_date_check(late, dt.date(2024, 4, 1)) is False
    )  # correcting to an in-time date
    with pytest.raises(DomainError) as exc:
        permit.start_date_check(_life(), dt.date(2024, 1, 9))
    assert exc.value.code == "approval.permit_before_issue"


def test_r_wf1_warns_early_and_month_ends_clamp():
    assert "仅剩" in _life(today=dt.date(2024, 3, 20)).warning
    assert _life(today=dt.date(2024, 2, 1)).warning == ""
    assert permit.add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)


def test_r_wf1_approved_extensions_count_and_third_is_refused_on_the_project(world):
    p1 = world.projects["p1"]
    p1.permit_issued_on = today() - dt.timedelta(days=80)  # the 3-month period ends in ~10 days
    p1.planned_start = today() + dt.timedelta(days=5)
    p1.save()
    first = workflows.project_permit_life(p1)
    r = _through(
        world,
        request_filed(world, RequestKind.START_CHANGE, date=first.valid_until + dt.timedelta(1)),
    )
    assert r.facts["extension"] is True
    assert workflows.extensions_used(p1) == 1
    p1.refresh_from_db()
    second = workflows.project_permit_life(p1)
    assert second.valid_until == permit.add_months(first.valid_until, 3)
    # The second extension can only be applied for before the extended period ends: move the clock.
    later = second.valid_until - dt.timedelta(days=2)
    facts = workflows.workflow_check(
        project=p1,
        kind=RequestKind.START_CHANGE,
        requested_date=second.valid_until + dt.timedelta(days=1),
        today=later,
    )
    assert facts["extension"] is True and facts["extensions_used"] == 1


# ---- WF2 / WF3: suspension and resumption ---------------------------------------------------------


def _p1_checked(world):
    """p1 started long ago (its key posts are checked today)."""
    p1 = world.projects["p1"]
    assert project_calendar(p1).checks_from < today()
    return p1


def test_r_wf2_people_keep_attending_until_the_suspension_is_approved(world):
    p1 = _p1_checked(world)
    r = request_filed(world, RequestKind.SUSPENSION, date=today())
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    services.request_act(actor=world.user("town_l1"), request=r, action="forward")
    assert key_post_exemption(project_calendar(p1), "P01", today()) == ""  # still pending
    services.request_act(actor=world.user("town_l2"), request=r, action="approve")
    p1.refresh_from_db()
    assert p1.status == "suspended"
    cal = project_calendar(p1)
    assert key_post_exemption(cal, "P01", today()) == Exemption.PAUSED
    assert key_post_exemption(cal, "P03", today() + dt.timedelta(days=30)) == Exemption.PAUSED
    assert key_post_exemption(cal, "P01", today() - dt.timedelta(days=1)) == ""
    row = key_post_days_compute(project_id=p1.pk, day=today())[0]
    assert row.exemption == Exemption.PAUSED


def test_r_wf2_a_suspension_approved_for_a_later_day_takes_effect_that_day(world):
    # Issue 11.4: approved on the 5th for the 8th, the project is not 停工 before the 8th.
    p1 = _p1_checked(world)
    start = today() + dt.timedelta(days=3)
    _through(world, request_filed(world, RequestKind.SUSPENSION, date=start))
    p1.refresh_from_db()
    assert p1.status == "active"
    assert Project.objects.filter(status="suspended").count() == 0
    timeline = {item["label"]: item["text"] for item in project_timeline(p1)}
    assert "尚未生效" in timeline["停工"] and "停工中" not in timeline["停工"]
    assert project_statuses_refresh(day=start - dt.timedelta(days=1)) == 0
    assert project_statuses_refresh(day=start) == 1
    p1.refresh_from_db()
    assert p1.status == "suspended"
    assert Event.objects.filter(kind="project.status_effective", subject_id=p1.pk).count() == 1
    assert project_statuses_refresh(day=start) == 0  # safe to run again


def test_r_wf2_suspension_date_cannot_be_in_the_past(world):
    with pytest.raises(DomainError) as exc:
        request_filed(world, RequestKind.SUSPENSION, date=today() - dt.timedelta(days=1))
    assert exc.value.code == "approval.date_past"


def test_r_wf3_obligations_restart_only_after_the_resumption_is_approved(world):
    p1 = _p1_checked(world)
    _through(world, request_filed(world, RequestKind.SUSPENSION, date=today()))
    with pytest.raises(DomainError) as exc:  # a second suspension while paused
        request_filed(world, RequestKind.SUSPENSION, date=today())
    assert exc.value.code == "approval.already_paused"
    r = request_filed(world, RequestKind.RESUMPTION, date=today())
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    assert key_post_exemption(project_calendar(p1), "P01", today() + dt.timedelta(5)) == "paused"
    services.request_act(actor=world.user("town_l1"), request=r, action="forward")
    r = services.request_act(actor=world.user("town_l2"), request=r, action="approve").request
    assert r.effective_on == today() + dt.timedelta(
        days=1
    )  # the day after approval at the earliest
    p1.refresh_from_db()
    assert (
        p1.status == "suspended"
    )  # resumption takes effect tomorrow, not on approval (issue 11.4)
    assert project_statuses_refresh(day=today() + dt.timedelta(days=1)) == 1
    p1.refresh_from_db()
    assert p1.status == "active"
    pause = ProjectPause.objects.get(project=p1)
    assert pause.end_on == today() and pause.resumption_ref == r.no
    cal = project_calendar(p1)
    assert key_post_exemption(cal, "P01", today()) == Exemption.PAUSED
    assert key_post_exemption(cal, "P01", today() + dt.timedelta(days=1)) == ""


def test_r_wf3_resumption_without_suspension_is_refused(world):
    with pytest.raises(DomainError) as exc:
        request_filed(world, RequestKind.RESUMPTION, date=today())
    assert exc.value.code == "approval.not_paused"


# ---- WF5: stop attendance --------------------------------------------------------------------------


def test_r_wf5_manual_stop_ends_staff_attendance_but_not_the_project_manager(world):
    p1 = _p1_checked(world)
    r = request_filed(world, RequestKind.ATTENDANCE_STOP)
    assert workflows.REQUIRED_ATTACHMENTS[r.kind] == (AttachmentKind.SAFETY_REPORT,)
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    services.request_act(actor=world.user("town_l1"), request=r, action="forward")
    assert key_post_exemption(project_calendar(p1), "P03", today()) == ""  # until approved
    services.request_act(actor=world.user("town_l2"), request=r, action="approve")
    cal = project_calendar(world.projects["p1"].__class__.objects.get(pk=p1.pk))
    assert key_post_exemption(cal, "P03", today()) == Exemption.STOPPED
    assert key_post_exemption(cal, "S01", today()) == Exemption.STOPPED
    assert key_post_exemption(cal, "P01", today()) == ""  # the PM waits for the quality notice


def test_r_wf5_after_the_safety_center_docked_manual_requests_are_refused(world):
    InboundSystem.objects.create(
        code="safety", name="安全事务中心系统", kind="safety", secret="x", docked_on=today()
    )
    with pytest.raises(DomainError) as exc:
        request_filed(world, RequestKind.ATTENDANCE_STOP)
    assert exc.value.code == "approval.safety_docked"


# ---- WF4: key-post change and the window's face enrollment -------------------------------------------


def test_r_wf4_new_holder_only_after_face_enrollment(world):
    post = KeyPost.objects.get(project=world.projects["p1"], post="P01")
    old, new = world.workers["pm"], world.workers["gc"]
    change = project_changes.key_post_change_record(
        actor=world.user("town_l1"),
        key_post=post,
        new_worker=new,
        permit_ref="中建许变〔2026〕12号",
        permit_approved_on=today(),
        source="authority",
    )
    post.refresh_from_db()
    assert change.status == KeyPostChange.Status.AWAITING_FACE
    assert post.holder == old  # the original holder keeps attending
    with pytest.raises(DomainError) as exc:
        project_changes.face_enroll(
            actor=world.user("window_clerk"),
            worker=new,
            data=jpeg(640, 480, face=False),
            source="upload",
        )
    assert exc.value.code == "registry.enroll_faces"
    with pytest.raises(DomainError) as exc:
        project_changes.face_enroll(
            actor=world.user("window_clerk"), worker=new, data=jpeg(320, 240), source="upload"
        )
    assert exc.value.code == "registry.enroll_resolution"
    post.refresh_from_db()
    assert post.holder == old
    project_changes.face_enroll(
        actor=world.user("window_clerk"), worker=new, data=jpeg(800, 600), source="camera"
    )
    post.refresh_from_db()
    change.refresh_from_db()
    new.refresh_from_db()
    assert post.holder == new and change.status == KeyPostChange.Status.EFFECTIVE
    assert change.effective_on == today() and new.face_photo
    row = key_post_days_compute(project_id=post.project_id, day=today())
    assert next(r for r in row if r.key_post_id == post.pk).holder == new


def test_r_wf4_already_enrolled_person_takes_the_post_at_once(world):
    post = KeyPost.objects.get(project=world.projects["p1"], post="P03")
    person = project_changes.key_post_person(
        actor=world.user("city_admin"), id_number=world.workers["neighbour"].id_number, name="x"
    )
    assert person == world.workers["neighbour"]  # found, not changed
    project_changes.face_enroll(
        actor=world.user("window_clerk"), worker=person, data=jpeg(800, 600), source="upload"
    )
    change = project_changes.key_post_change_record(
        actor=world.user("city_admin"),
        key_post=post,
        new_worker=person,
        permit_ref="许变2",
        permit_approved_on=today(),
        source="authority",
    )
    post.refresh_from_db()
    assert change.status == KeyPostChange.Status.EFFECTIVE and post.holder == person
    # He is put on the site's people list so the gates know him.
    assert person.employments.filter(project=post.project, status="active").exists()


def test_r_a3_key_post_days_carry_the_exemption(world):
    p1 = world.projects["p1"]
    p1.planned_start = today() - dt.timedelta(days=5)
    p1.save()
    rows = key_post_days_compute(project_id=p1.pk, day=today())
    assert {r.exemption for r in rows} == {Exemption.BEFORE_START}
    assert not KeyPostDay.objects.filter(project=p1, exemption="").exists()


def test_r_wf_request_numbers_are_unique_and_dated(world):
    p1 = fresh_permit(world.projects["p1"])
    r = request_filed(world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=3))
    assert r.no.startswith(f"SQ{today():%Y%m%d}")
    assert ApprovalRequest.objects.filter(no=r.no).count() == 1


def test_r_wf4_enrolled_face_goes_to_the_sites_zkteco_terminals(
    world, django_capture_on_commit_callbacks
):
    from smz.devices.models import DeviceCommand
    from smz.devices.services import device_register

    zk, _ = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="ZK-P1-01",
        kind="face_gate",
        protocol="zkteco_push",
        entrance="东门",
    )
    with django_capture_on_commit_callbacks(execute=True):  # sent once the face is committed
        project_changes.face_enroll(
            actor=world.user("window_clerk"),
            worker=world.workers["pm"],
            data=jpeg(800, 600),
            source="upload",
        )
    sync = DeviceCommand.objects.get(device=zk, kind="sync_people")
    assert sync.payload == {"workers": [world.workers["pm"].pk]}
    other = world.workers["neighbour"]  # on p2 only: p1's terminal is not asked again
    with django_capture_on_commit_callbacks(execute=True):
        project_changes.face_enroll(
            actor=world.user("window_clerk"), worker=other, data=jpeg(800, 600), source="upload"
        )
    assert DeviceCommand.objects.filter(device=zk, kind="sync_people").count() == 1
