"""One face under two ID numbers, or one ID number's face replaced by somebody else's (issue 15 item 3): found when
the new face's descriptor is computed, seen by the authorities whose people it concerns, cleared or confirmed
once with a note, never deleted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist

from smz.core.errors import DomainError
from smz.core.models import Event
from smz.faceid.errors import FaceidErrorCode
from smz.faceid.events import FaceidEventKind
from smz.faceid.models import FaceDuplicate, FaceEmbedding
from smz.faceid.selectors import face_duplicate_get_for, face_duplicates_for
from smz.faceid.services import face_duplicate_decide
from smz.registry.project_changes import face_enroll
from smz.testing.errors import refused
from smz.testing.faceid import EMBED, astronaut, jpeg, lfw_face, portrait, run_queued


def _enroll(world, worker, img, capture):
    with capture(execute=True):
        face_enroll(actor=world.user("city_admin"), worker=worker, data=jpeg(img), source="camera")
    assert run_queued(EMBED) == [True]


@pytest.fixture
def two_ids(world, private_dir, django_capture_on_commit_callbacks):
    """The astronaut enrolled as 测试项目经理, then another photo of her as 测试甲工 (another ID number)."""
    _enroll(world, world.workers["pm"], portrait(), django_capture_on_commit_callbacks)
    other = astronaut().crop((60, 10, 420, 370)).resize((600, 600))
    _enroll(world, world.workers["gc"], other, django_capture_on_commit_callbacks)
    return FaceDuplicate.objects.get()


def test_one_face_under_two_id_numbers_is_listed(world, two_ids):
    assert two_ids.kind == FaceDuplicate.Kind.TWO_IDS and two_ids.state == "open"
    assert (two_ids.first_worker, two_ids.second_worker) == (
        world.workers["pm"],
        world.workers["gc"],
    )
    assert two_ids.distance < two_ids.threshold
    assert Event.objects.filter(kind=FaceidEventKind.DUPLICATE_FOUND).count() == 1


def test_different_people_are_not_duplicates(
    world, private_dir, django_capture_on_commit_callbacks
):
    _enroll(world, world.workers["pm"], portrait(), django_capture_on_commit_callbacks)
    _enroll(world, world.workers["gc"], lfw_face(1, side=520), django_capture_on_commit_callbacks)
    assert FaceEmbedding.objects.filter(usable=True).count() == 2
    assert not FaceDuplicate.objects.exists()


def test_a_face_replaced_by_somebody_elses_is_listed(
    world, private_dir, django_capture_on_commit_callbacks
):
    pm = world.workers["pm"]
    _enroll(world, pm, portrait(), django_capture_on_commit_callbacks)
    _enroll(world, pm, lfw_face(1, side=520), django_capture_on_commit_callbacks)
    row = FaceDuplicate.objects.get()
    assert row.kind == FaceDuplicate.Kind.REPLACED
    assert row.first_worker == row.second_worker == pm and row.distance >= row.threshold


def test_seen_by_the_authorities_whose_people_it_concerns(world, two_ids):
    for persona in ("city_admin", "city_supervisor", "town_l1"):
        assert list(face_duplicates_for(world.user(persona))) == [two_ids]
    for persona in ("neighbour_town", "gc_labor", "sub_labor"):
        assert not face_duplicates_for(world.user(persona)).exists()
        with pytest.raises(ObjectDoesNotExist):
            face_duplicate_get_for(world.user(persona), two_ids.pk)


def test_cleared_once_by_a_decision_with_a_note(world, two_ids):
    with refused(FaceidErrorCode.DUPLICATE_NOTE):
        face_duplicate_decide(
            actor=world.user("town_l1"), duplicate=two_ids, confirmed=False, note=" "
        )
    for persona in ("neighbour_town", "city_supervisor", "gc_labor"):
        with pytest.raises(DomainError) as info:
            face_duplicate_decide(
                actor=world.user(persona), duplicate=two_ids, confirmed=True, note="属实"
            )
        assert info.value.code == FaceidErrorCode.DUPLICATE_FORBIDDEN
    decided = face_duplicate_decide(
        actor=world.user("town_l1"), duplicate=two_ids, confirmed=False, note="系双胞胎，已核对户籍"
    )
    assert decided.state == FaceDuplicate.State.CLEARED and decided.decided_by == world.user(
        "town_l1"
    )
    assert decided.note == "系双胞胎，已核对户籍" and decided.decided_at is not None
    assert Event.objects.filter(kind=FaceidEventKind.DUPLICATE_CLEARED).count() == 1
    with refused(FaceidErrorCode.DUPLICATE_DECIDED):
        face_duplicate_decide(
            actor=world.user("city_admin"), duplicate=decided, confirmed=True, note="x"
        )
    assert FaceDuplicate.objects.count() == 1  # nothing deleted
