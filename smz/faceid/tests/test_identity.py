"""Face identity through the real paths: the window enrolls a face (its descriptor is computed by a task queued
after commit), a gate's passes are stored (their checks are queued after commit, never run in the ingest), the
background task compares and a key-post day whose only passes show somebody else is not attended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db.models import TextField
from django.db.models.functions import Cast
from django_tasks_db.models import DBTaskResult

from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord
from smz.attendance.selectors import key_post_status_for
from smz.attendance.services import pass_contest_file
from smz.compliance.models import Violation
from smz.compliance.services import rule_table_load
from smz.compliance.services.engine import judge
from smz.core import crypto
from smz.core.models import Event
from smz.faceid.embedding import MODEL_VERSION, distance, vector_decode
from smz.faceid.events import FaceidEventKind
from smz.faceid.models import FaceEmbedding, IdentityCheck
from smz.faceid.selectors import pass_sampled
from smz.faceid.services import face_embedding_compute
from smz.registry.models import KeyPost
from smz.registry.project_changes import face_enroll
from smz.testing.attendance import attend, gate_for, today
from smz.testing.faceid import CHECK, CONTEST, EMBED, in_frame, jpeg, lfw_face, portrait, run_queued


@pytest.fixture
def gate(world):
    return gate_for(world, "p1", "GATE-P1-A")


@pytest.fixture
def enrolled_pm(world, private_dir, django_capture_on_commit_callbacks):
    """测试项目经理 holds post P01 on P1; the window enrolled the astronaut's face as his."""
    pm = world.workers["pm"]
    with django_capture_on_commit_callbacks(execute=True):
        face_enroll(
            actor=world.user("city_admin"), worker=pm, data=jpeg(portrait()), source="camera"
        )
    assert run_queued(EMBED) == [True]
    return pm


def _stand_in() -> bytes:
    """A gate snapshot of somebody else (an LFW face) standing where the manager should."""
    return jpeg(in_frame(lfw_face(1, side=240)))


def _attend(gate, worker, day, snapshot, capture, tag=""):
    with capture(execute=True):
        attend(gate, worker, day, snapshot=snapshot, tag=tag)


def _post_day(day):
    return KeyPostDay.objects.get(
        key_post__post="P01", key_post__holder__name="测试项目经理", work_date=day
    )


def test_a_key_post_day_with_only_a_stand_ins_passes_is_absent(
    world, gate, enrolled_pm, django_capture_on_commit_callbacks
):
    pm = enrolled_pm
    _attend(gate, pm, today(), _stand_in(), django_capture_on_commit_callbacks)
    # The ingest and the terminal's own check believe the gate: nothing was compared in the request.
    assert not IdentityCheck.objects.exists()
    assert _post_day(today()).attended
    assert DBTaskResult.objects.filter(task_path=CHECK).count() == 1

    assert run_queued(CHECK) == [2]
    checks = list(IdentityCheck.objects.filter(worker=pm))
    assert {c.result for c in checks} == {IdentityCheck.Result.NOT_SAME_PERSON}
    assert {c.basis for c in checks} == {IdentityCheck.Basis.KEY_POST}
    for c in checks:
        assert c.distance >= c.threshold and c.model == MODEL_VERSION
        assert c.enrolled == FaceEmbedding.objects.get(worker=pm)
    row = _post_day(today())
    assert not row.attended and row.absence_reason == "not_same_person" and row.holder == pm
    # The person's own day keeps its passes, flagged; the page shows the post absent with the reason.
    daily = DailyAttendance.objects.get(worker=pm, work_date=today())
    assert "not_same_person" in daily.anomalies
    status = {
        s["post"].post: s
        for s in key_post_status_for(world.user("gc_labor"), gate.project, today())
    }
    assert status["P01"]["status"] == "absent"
    assert status["P01"]["absence_reason"] == "抓拍人脸与登记人脸不是同一人"
    assert Event.objects.filter(kind=FaceidEventKind.NOT_SAME_PERSON).count() == 2
    # A second run checks nothing twice.
    assert run_queued(CHECK) == []
    assert IdentityCheck.objects.count() == 2


def test_the_manager_himself_stays_attended(
    world, gate, enrolled_pm, django_capture_on_commit_callbacks
):
    day = today() - dt.timedelta(days=1)
    _attend(gate, enrolled_pm, day, None, django_capture_on_commit_callbacks)  # astronaut snapshot
    run_queued(CHECK)
    assert set(IdentityCheck.objects.values_list("result", flat=True)) == {"matched"}
    for c in IdentityCheck.objects.all():
        assert c.distance < c.threshold
    row = _post_day(day)
    assert row.attended and row.absence_reason == ""


def test_one_own_pass_among_a_stand_ins_keeps_the_day(
    world, gate, enrolled_pm, django_capture_on_commit_callbacks
):
    """Only a day whose counted passes are all somebody else is not attended."""
    _attend(gate, enrolled_pm, today(), _stand_in(), django_capture_on_commit_callbacks, tag="a")
    _attend(gate, enrolled_pm, today(), None, django_capture_on_commit_callbacks, tag="b")
    run_queued(CHECK)
    results = sorted(IdentityCheck.objects.values_list("result", flat=True))
    assert results == ["matched", "matched", "not_same_person", "not_same_person"]
    assert _post_day(today()).attended


def test_no_enrolled_face_and_no_usable_face_do_not_exclude(
    world, gate, private_dir, django_capture_on_commit_callbacks
):
    pm = world.workers["pm"]  # no face photo: nothing to compare with
    _attend(gate, pm, today(), _stand_in(), django_capture_on_commit_callbacks)
    run_queued(CHECK)
    assert set(IdentityCheck.objects.values_list("result", flat=True)) == {"no_enrolled_face"}
    assert _post_day(today()).attended


def test_labor_passes_are_sampled_by_pass_id(
    world, gate, private_dir, settings, django_capture_on_commit_callbacks
):
    gc = world.workers["gc"]  # holds no key post
    assert not KeyPost.objects.filter(holder=gc).exists()
    settings.SMZ_FACEID_SAMPLE_RATE = 0.0
    _attend(gate, gc, today(), None, django_capture_on_commit_callbacks)
    run_queued(CHECK)
    assert not IdentityCheck.objects.exists()
    settings.SMZ_FACEID_SAMPLE_RATE = 1.0
    day = today() - dt.timedelta(days=1)
    _attend(gate, gc, day, None, django_capture_on_commit_callbacks)
    run_queued(CHECK)
    assert set(IdentityCheck.objects.values_list("basis", "result")) == {
        ("sample", "no_enrolled_face")
    }
    assert IdentityCheck.objects.count() == PassRecord.objects.filter(work_date=day).count() == 2


def test_the_sample_is_decided_by_the_pass_id_alone():
    drawn = [pk for pk in range(1, 20001) if pass_sampled(pk, 0.05)]
    assert drawn == [pk for pk in range(1, 20001) if pass_sampled(pk, 0.05)]  # re-runs agree
    assert 0.04 < len(drawn) / 20000 < 0.06
    assert set(drawn) <= {pk for pk in range(1, 20001) if pass_sampled(pk, 0.2)}  # nested rates
    assert not any(pass_sampled(pk, 0.0) for pk in range(1, 1000))
    assert all(pass_sampled(pk, 1.0) for pk in range(1, 1000))


def test_every_contested_pass_is_checked(
    world, gate, private_dir, settings, django_capture_on_commit_callbacks
):
    settings.SMZ_FACEID_SAMPLE_RATE = 0.0
    gc = world.workers["gc"]
    grey = jpeg(in_frame(lfw_face(1, side=20)))  # the gate saw no usable face
    gc.face_photo.save("face.jpg", ContentFile(jpeg(portrait())))
    _attend(gate, gc, today(), grey, django_capture_on_commit_callbacks)
    run_queued(CHECK)
    assert not IdentityCheck.objects.exists()
    record = PassRecord.objects.filter(worker=gc).order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        pass_contest_file(actor=world.user("gc_labor"), pass_record=record, reason="是本人")
    assert run_queued(CONTEST) == [True]
    check = IdentityCheck.objects.get()
    assert (check.pass_record_id, check.basis, check.result) == (
        record.pk,
        "contest",
        "no_usable_face",
    )


def test_the_descriptor_is_stored_encrypted(world, enrolled_pm):
    row = FaceEmbedding.objects.get(worker=enrolled_pm)
    raw = (
        FaceEmbedding.objects.filter(pk=row.pk)
        .annotate(raw=Cast("vector", TextField()))
        .values_list("raw", flat=True)
        .get()
    )
    assert raw != row.vector and row.vector not in raw
    assert raw.startswith(crypto.current_key_id() + "$")
    assert crypto.decrypt(raw) == row.vector
    assert len(vector_decode(row.vector)) == 128
    assert row.usable and row.source == "window" and row.photo == enrolled_pm.face_photo.name
    assert Event.objects.filter(kind=FaceidEventKind.EMBEDDING_COMPUTED).count() == 1


def test_a_changed_face_is_described_again(world, enrolled_pm, django_capture_on_commit_callbacks):
    first = FaceEmbedding.objects.get(worker=enrolled_pm)
    # the same photo again: nothing new
    assert face_embedding_compute(worker_id=enrolled_pm.pk) == first
    # a new window enrollment with another person's face: queued after commit, a second row, the first kept
    with django_capture_on_commit_callbacks(execute=True):
        face_enroll(
            actor=world.user("city_admin"),
            worker=enrolled_pm,
            data=jpeg(lfw_face(1, side=520)),
            source="camera",
        )
    assert DBTaskResult.objects.filter(task_path=EMBED).count() == 1
    assert run_queued(EMBED) == [True]
    rows = list(FaceEmbedding.objects.filter(worker=enrolled_pm).order_by("computed_at", "pk"))
    assert len(rows) == 2 and rows[0] == first
    assert rows[1].photo != first.photo and rows[1].usable
    assert distance(vector_decode(rows[0].vector), vector_decode(rows[1].vector)) > 0.6


def test_the_stand_in_day_is_deduction_evidence(
    world, gate, enrolled_pm, django_capture_on_commit_callbacks
):
    """Issue 15 item 2 with issue 13: the absent day's C-KP-ABSENT names the checks as its evidence."""
    _attend(gate, enrolled_pm, today(), _stand_in(), django_capture_on_commit_callbacks)
    run_queued(CHECK)
    rule_table_load()
    judge(today(), today(), projects=[gate.project.pk])
    post = KeyPost.objects.get(project=gate.project, post="P01")
    violation = Violation.objects.get(rule__code="C-KP-ABSENT", subject=f"post:{post.pk}")
    checks = sorted(IdentityCheck.objects.filter(worker=enrolled_pm).values_list("pk", flat=True))
    assert violation.evidence["identity_check"] == checks
    assert "人脸核验均非本人" in violation.evidence["text"]
