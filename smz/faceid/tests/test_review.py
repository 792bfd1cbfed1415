"""Review and appeal of "not the same person" (issue 15 item 4, N4) through the real paths: the window enrolls
the astronaut as 测试项目经理, a gate's snapshots show somebody else, the background check finds it and his
post's day is absent; 甲建设's labor specialist contests with a note, 小榄's approver decides once. Overturned:
the passes count again and the post's day is attended (attendance's own compute); confirmed: it stays absent.
Nothing is changed or deleted, only added; other towns, other enterprises and workers see nothing."""

from __future__ import annotations

import pytest

from smz.attendance.models import KeyPostDay
from smz.core.errors import DomainError, Forbidden
from smz.core.models import Event, PersonalDataAccess
from smz.faceid.demo import confirm_demo_stand_in
from smz.faceid.errors import FaceidErrorCode
from smz.faceid.events import FaceidEventKind
from smz.faceid.models import IdentityCheck, IdentityReview
from smz.faceid.selectors import identity_checks_for
from smz.faceid.services import identity_check_contest, identity_check_decide
from smz.notifications.models import Notification
from smz.registry.project_changes import face_enroll
from smz.testing.attendance import attend, gate_for, today
from smz.testing.faceid import CHECK, EMBED, in_frame, jpeg, lfw_face, portrait, run_queued


def _post_day(day):
    return KeyPostDay.objects.get(
        key_post__post="P01", key_post__holder__name="测试项目经理", work_date=day
    )


@pytest.fixture
def stand_in(world, private_dir, django_capture_on_commit_callbacks):
    """测试项目经理's post P01 on P1 today: his only pass shows somebody else (an LFW face)."""
    pm = world.workers["pm"]
    with django_capture_on_commit_callbacks(execute=True):
        face_enroll(
            actor=world.user("city_admin"), worker=pm, data=jpeg(portrait()), source="camera"
        )
    assert run_queued(EMBED) == [True]
    gate = gate_for(world, "p1", "GATE-P1-A")
    with django_capture_on_commit_callbacks(execute=True):
        attend(gate, pm, today(), snapshot=jpeg(in_frame(lfw_face(1, side=240))))
    assert run_queued(CHECK) == [2]
    checks = list(IdentityCheck.objects.filter(worker=pm).order_by("pk"))
    assert {c.result for c in checks} == {IdentityCheck.Result.NOT_SAME_PERSON}
    assert not _post_day(today()).attended
    return checks


def _decide_all(world, checks, *, overturn, who="town_l1"):
    for c in checks:
        identity_check_decide(
            actor=world.user(who), check=c, overturn=overturn, note="核对现场视频"
        )


def test_overturned_the_post_day_is_attended_again(world, stand_in):
    _decide_all(world, stand_in, overturn=True)
    row = _post_day(today())
    assert row.attended and row.absence_reason == ""
    # the checks are as they were: only reviews were added (N4)
    assert {c.result for c in IdentityCheck.objects.filter(pk__in=[c.pk for c in stand_in])} == {
        IdentityCheck.Result.NOT_SAME_PERSON
    }
    assert IdentityReview.objects.filter(outcome="overturned").count() == 2
    assert Event.objects.filter(kind=FaceidEventKind.CHECK_OVERTURNED).count() == 2


def test_one_overturned_pass_is_enough_for_the_day(world, stand_in):
    _decide_all(world, stand_in[:1], overturn=True)
    assert _post_day(today()).attended


def test_confirmed_the_post_day_stays_absent(world, stand_in):
    _decide_all(world, stand_in, overturn=False, who="town_l2")
    row = _post_day(today())
    assert not row.attended and row.absence_reason == "not_same_person"
    assert Event.objects.filter(kind=FaceidEventKind.CHECK_CONFIRMED).count() == 2
    assert not identity_checks_for(world.user("town_l1"), state="open").exists()
    assert identity_checks_for(world.user("town_l1"), state="confirmed").count() == 2


def test_decided_once(world, stand_in):
    check = stand_in[0]
    _decide_all(world, [check], overturn=False)
    with pytest.raises(DomainError) as exc:
        identity_check_decide(actor=world.user("town_l2"), check=check, overturn=True, note="改判")
    assert exc.value.code == FaceidErrorCode.REVIEW_DECIDED and exc.value.status == 409
    assert IdentityReview.objects.filter(check_record=check).count() == 1
    assert not _post_day(today()).attended
    review = IdentityReview.objects.get()
    with pytest.raises(PermissionError):
        review.delete()
    with pytest.raises(PermissionError):
        review.save()


def test_only_the_routed_authoritys_approvers_decide(world, stand_in):
    check = stand_in[0]
    for who in ("neighbour_town", "city_admin", "safety_l1", "gc_labor", "worker"):
        with pytest.raises(Forbidden) as exc:
            identity_check_decide(actor=world.user(who), check=check, overturn=True, note="x")
        assert exc.value.code == FaceidErrorCode.REVIEW_FORBIDDEN
    assert not IdentityReview.objects.exists()
    assert not _post_day(today()).attended


def test_a_note_is_required_and_never_cut(world, stand_in):
    check = stand_in[0]
    for note in ("  ", "字" * 2001):
        with pytest.raises(DomainError) as exc:
            identity_check_decide(
                actor=world.user("town_l1"), check=check, overturn=True, note=note
            )
        assert exc.value.code == FaceidErrorCode.REVIEW_NOTE and exc.value.status == 422
        with pytest.raises(DomainError):
            identity_check_contest(actor=world.user("gc_labor"), check=check, note=note)
    assert not IdentityReview.objects.exists()


def test_the_employer_contests_once_and_the_authority_is_told(world, stand_in):
    check = stand_in[0]
    for who in ("sub_labor", "neighbour_labor", "worker", "town_l1", "gc_pm"):
        with pytest.raises(Forbidden):
            identity_check_contest(actor=world.user(who), check=check, note="是本人")
    review = identity_check_contest(
        actor=world.user("gc_labor"), check=check, note="当日本人在岗，戴安全帽遮挡"
    )
    assert review.authority.name == "小榄镇住房城乡建设部门"
    assert review.enterprise == world.enterprises["gc"]
    told = set(
        Notification.objects.filter(url=f"/faceid/checks/{check.pk}/").values_list(
            "user__username", flat=True
        )
    )
    assert told == {"town_l1", "town_l2"}
    with pytest.raises(DomainError) as exc:
        identity_check_contest(actor=world.user("gc_admin"), check=check, note="再次申诉")
    assert exc.value.code == FaceidErrorCode.REVIEW_CONTESTED
    assert [c.pk for c in identity_checks_for(world.user("town_l1"), state="contested")] == [
        check.pk
    ]
    identity_check_decide(
        actor=world.user("town_l1"), check=check, overturn=True, note="核实为本人"
    )
    assert Notification.objects.filter(user=world.user("gc_labor")).exists()
    # the contest and the decision both stay
    assert list(
        IdentityReview.objects.filter(check_record=check).values_list("kind", flat=True)
    ) == [
        "contest",
        "decision",
    ]


def test_a_decided_check_cannot_be_contested(world, stand_in):
    check = stand_in[0]
    _decide_all(world, [check], overturn=False)
    with pytest.raises(DomainError) as exc:
        identity_check_contest(actor=world.user("gc_labor"), check=check, note="是本人")
    assert exc.value.code == FaceidErrorCode.REVIEW_DECIDED


def test_who_sees_the_results(world, stand_in):
    ids = {c.pk for c in stand_in}
    for who in ("town_l1", "city_admin", "city_supervisor", "gc_labor", "gc_admin"):
        assert {c.pk for c in identity_checks_for(world.user(who))} == ids, who
    for who in (
        "neighbour_town",
        "neighbour_labor",
        "sub_labor",
        "worker",
        "builder",
        "sup_manager",
    ):
        assert not identity_checks_for(world.user(who)).exists(), who


def test_pages_show_both_faces_audited_and_hide_them_from_others(world, stand_in, as_user, client):
    check = stand_in[0]
    # the employer finds the queue from 考勤异常 · 关键岗位未到岗 (the menu is unchanged)
    anomalies = as_user("gc_labor").get("/attendance/anomalies/?tab=key_posts")
    assert 'href="/faceid/checks/?state=all"' in anomalies.text
    c = as_user("town_l1")
    page = c.get("/faceid/checks/")
    assert page.status_code == 200 and f'href="/faceid/checks/{check.pk}/"' in page.text
    page = c.get(f"/faceid/checks/{check.pk}/")
    assert page.status_code == 200 and 'data-testid="decide-form"' in page.text
    assert 'data-testid="contest-form"' not in page.text
    for side in ("snapshot", "enrolled"):
        r = c.get(f"/faceid/checks/{check.pk}/photo/{side}/")
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
        assert r["Cache-Control"] == "private, no-store"
    assert PersonalDataAccess.objects.filter(subject_id=world.workers["pm"].pk).count() == 2
    assert c.get(f"/faceid/checks/{check.pk}/photo/other/").status_code == 404
    # the contest page is the employer's only
    assert c.get(f"/faceid/checks/{check.pk}/contest/").status_code == 404
    r = c.post(f"/faceid/checks/{check.pk}/", {"decision": "overturn", "note": ""})
    assert r.status_code == 422 and not IdentityReview.objects.exists()
    r = c.post(f"/faceid/checks/{check.pk}/", {"decision": "overturn", "note": "核实为本人"})
    assert r.status_code == 302
    assert IdentityReview.objects.get().outcome == "overturned"

    c = as_user("neighbour_town")
    for url in ("", "contest/", "photo/snapshot/", "photo/enrolled/"):
        assert c.get(f"/faceid/checks/{check.pk}/{url}").status_code == 404
    assert f"/faceid/checks/{check.pk}/" not in c.get("/faceid/checks/?state=all").text

    c = as_user("gc_labor")
    other = stand_in[1]
    page = c.get(f"/faceid/checks/{other.pk}/")
    assert (
        'data-testid="contest-form"' in page.text and 'data-testid="decide-form"' not in page.text
    )
    r = c.post(f"/faceid/checks/{other.pk}/contest/", {"note": "本人在岗"})
    assert r.status_code == 302 and IdentityReview.objects.filter(kind="contest").count() == 1
    r = c.post(f"/faceid/checks/{other.pk}/", {"decision": "overturn", "note": "自己改判"})
    assert r.status_code == 403
    assert not IdentityReview.objects.filter(check_record=other, kind="decision").exists()


def test_the_demo_confirms_one_stand_in_result_once(world, stand_in):
    """seed_compliance's faceid step: the routed town's L1 approver confirms the earliest undecided result."""
    done = confirm_demo_stand_in()
    (decision,) = IdentityReview.objects.filter(kind=IdentityReview.Kind.DECISION)
    assert decision.outcome == IdentityReview.Outcome.CONFIRMED
    assert decision.actor == world.user("town_l1") and "代打卡" in decision.note
    assert "town_l1" in next(iter(done.values()))
    assert not _post_day(today()).attended
    # The next undecided one is taken on a re-run; with none left it writes nothing.
    while confirm_demo_stand_in():
        pass
    decided = IdentityReview.objects.filter(kind=IdentityReview.Kind.DECISION).count()
    assert decided == IdentityCheck.objects.filter(result="not_same_person").count()
    assert confirm_demo_stand_in() == {}
