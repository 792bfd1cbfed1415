"""Contests of invalid passes (issue 13 item 5): filed by the person or his employer, decided by the project's
authority; an accepted contest makes a snapshot/face-invalid pass count and the person's day is recomputed."""

from __future__ import annotations

import pytest

from smz.attendance import selectors
from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.models import DailyAttendance, PassContest, PassRecord
from smz.attendance.services import pass_contest_decide, pass_contest_file
from smz.attendance.validity import VALIDITY_FIELDS, pass_invalid_reason
from smz.core.models import Event
from smz.notifications.models import Notification
from smz.testing.attendance import attend, gate_for, today
from smz.testing.devices import jpeg
from smz.testing.errors import refused


@pytest.fixture
def no_face(world):
    """测试甲工 (GC) passed twice today; both snapshots show no face: the day does not count."""
    gate = gate_for(world, "p1", "GATE-P1-A")
    attend(gate, world.workers["gc"], today(), snapshot=jpeg(face=False))
    return list(PassRecord.objects.filter(worker=world.workers["gc"]).order_by("event_time"))


def _day(world):
    return DailyAttendance.objects.get(worker=world.workers["gc"], work_date=today())


def test_accepted_contest_makes_the_pass_count_and_recomputes_the_day(world, no_face):
    assert not _day(world).attended
    contest = pass_contest_file(
        actor=world.user("gc_labor"), pass_record=no_face[0], reason="照片中本人清晰可见"
    )
    assert contest.state == PassContest.State.FILED and contest.invalid_reason == "no_face"
    assert contest.authority.users.filter(pk=world.user("town_l1").pk).exists()
    decided = pass_contest_decide(
        actor=world.user("town_l1"), contest=contest, accept=True, decision="照片清晰"
    )
    assert decided.state == PassContest.State.ACCEPTED and decided.decided_by == world.user(
        "town_l1"
    )
    day = _day(world)
    assert day.attended and day.valid_passes == 1 and day.invalid_passes == 1
    rows = selectors.pass_list_for(
        world.user("gc_labor"), worker=world.workers["gc"], first=today(), last=today()
    )
    assert sorted(r["valid"] for r in rows) == [False, True]
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"attendance.pass_contest_filed", "attendance.pass_contest_accepted"} <= kinds
    # decided once
    with refused(AttendanceErrorCode.CONTEST_DECIDED):
        pass_contest_decide(
            actor=world.user("town_l2"), contest=decided, accept=False, decision="x"
        )


def test_rejected_contest_leaves_the_pass_invalid_and_may_be_filed_again(world, no_face):
    contest = pass_contest_file(actor=world.user("gc_labor"), pass_record=no_face[0], reason="r")
    with refused(AttendanceErrorCode.CONTEST_OPEN):
        pass_contest_file(actor=world.user("gc_labor"), pass_record=no_face[0], reason="again")
    pass_contest_decide(
        actor=world.user("town_l1"), contest=contest, accept=False, decision="无人脸"
    )
    assert not _day(world).attended
    again = pass_contest_file(
        actor=world.user("gc_labor"), pass_record=no_face[0], reason="补充说明"
    )
    assert PassContest.objects.count() == 2 and again.state == PassContest.State.FILED


def test_neighbours_and_other_parties_are_refused(world, no_face):
    record = no_face[0]
    for persona in ("neighbour_labor", "sub_labor", "worker", "town_l1", "city_admin"):
        with refused(AttendanceErrorCode.CONTEST_FORBIDDEN):
            pass_contest_file(actor=world.user(persona), pass_record=record, reason="r")
    contest = pass_contest_file(actor=world.user("gc_labor"), pass_record=record, reason="r")
    for persona in ("neighbour_town", "safety_l1", "gc_labor", "city_admin"):
        with refused(AttendanceErrorCode.CONTEST_FORBIDDEN):
            pass_contest_decide(
                actor=world.user(persona), contest=contest, accept=True, decision="d"
            )
    assert PassContest.objects.get().state == PassContest.State.FILED
    # scoping of the queue: the employer and the authority see it, a neighbour does not
    assert [c.pk for c in selectors.contests_for(world.user("gc_labor"))] == [contest.pk]
    assert [c.pk for c in selectors.contests_for(world.user("town_l1"))] == [contest.pk]
    for persona in ("neighbour_labor", "neighbour_town", "worker", "builder"):
        assert not selectors.contests_for(world.user(persona)).exists(), persona


def test_the_worker_contests_his_own_pass(world):
    gate = gate_for(world, "p1", "GATE-P1-A")
    sub = world.workers["sub"]
    attend(gate, sub, today(), snapshot=jpeg(face=False))
    record = PassRecord.objects.filter(worker=sub).first()
    contest = pass_contest_file(actor=world.user("worker"), pass_record=record, reason="是我本人")
    assert contest.enterprise_id is None
    assert [c.pk for c in selectors.contests_for(world.user("worker"))] == [contest.pk]
    # his employer (the subcontractor) sees it; the neighbour does not
    assert selectors.contests_for(world.user("sub_labor")).filter(pk=contest.pk).exists()
    assert not selectors.contests_for(world.user("neighbour_labor")).exists()


def test_a_valid_pass_cannot_be_contested(world):
    gate = gate_for(world, "p1", "GATE-P1-A")
    attend(gate, world.workers["gc"], today())
    record = PassRecord.objects.filter(worker=world.workers["gc"]).first()
    with refused(AttendanceErrorCode.CONTEST_NOT_INVALID):
        pass_contest_file(actor=world.user("gc_labor"), pass_record=record, reason="r")


def _row(**kw):
    row = dict.fromkeys(VALIDITY_FIELDS)
    row.update(invalid_reason="", off_site=False, snapshot="", contest_accepted=False)
    row.update(kw)
    return row


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (_row(invalid_reason="no_snapshot", contest_accepted=True), ""),
        (_row(snapshot="a.jpg", snapshot_check__faces=0, contest_accepted=True), ""),
        (_row(snapshot="a.jpg", snapshot_check__faces=0), "no_face"),
        # off site and a missing location are facts of the place, not of the photo: not overridden
        (_row(invalid_reason="off_site", off_site=True, contest_accepted=True), "off_site"),
        (_row(invalid_reason="no_location", contest_accepted=True), "no_location"),
    ],
)
def test_an_accepted_contest_overrides_only_the_snapshot_reasons(row, reason):
    assert pass_invalid_reason(row) == reason


def test_the_worker_finds_the_action_on_his_own_passes_page(world, client):
    gate = gate_for(world, "p1", "GATE-P1-A")
    sub = world.workers["sub"]
    attend(gate, sub, today(), snapshot=jpeg(face=False))
    client.force_login(world.user("worker"))
    assert f"/workers/{sub.pk}/passes/" in client.get("/me/wages/").content.decode()
    body = client.get(f"/workers/{sub.pk}/passes/").content.decode()
    assert "申诉此记录" in body
    record = PassRecord.objects.filter(worker=sub).first()
    answer = client.post(f"/passes/{record.pk}/contest/", {"reason": "是我本人"})
    contest = PassContest.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/attendance/contests/{contest.pk}/"
    # the subcontractor's neighbour may not open the form
    client.force_login(world.user("neighbour_labor"))
    assert client.get(f"/passes/{record.pk}/contest/").status_code == 404


def test_filing_tells_the_approvers_and_deciding_tells_the_person_and_the_filer(
    world, no_face, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contest = pass_contest_file(
            actor=world.user("gc_labor"), pass_record=no_face[0], reason="照片中本人清晰可见"
        )
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"town_l1", "town_l2"}  # the authority the project was routed to, nobody else
    (notice,) = Notification.objects.filter(user=world.user("town_l1"))
    assert notice.url.endswith(f"/attendance/contests/{contest.pk}/") and "待处理" in notice.title
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        pass_contest_decide(
            actor=world.user("town_l1"), contest=contest, accept=False, decision="照片确无人脸"
        )
    # 测试甲工 has no account in the world: the filer is told; a worker account would be too.
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"gc_labor"}
    assert "申诉不成立" in Notification.objects.get().title
    assert "照片确无人脸" in Notification.objects.get().body


def test_the_worker_who_filed_is_told_of_the_decision(world, django_capture_on_commit_callbacks):
    gate = gate_for(world, "p1", "GATE-P1-W")
    attend(gate, world.workers["sub"], today(), snapshot=jpeg(face=False))
    record = PassRecord.objects.filter(worker=world.workers["sub"]).first()
    with django_capture_on_commit_callbacks(execute=True):
        contest = pass_contest_file(
            actor=world.user("worker"), pass_record=record, reason="是我本人"
        )
        pass_contest_decide(
            actor=world.user("town_l2"), contest=contest, accept=True, decision="属实"
        )
    assert (
        Notification.objects.filter(user=world.user("worker"), title__contains="申诉成立").count()
        == 1
    )
