"""Masking, audited unmasked reads and the append-only audit tables (N2, N4)."""

from __future__ import annotations

import pytest

from smz.core.errors import Forbidden
from smz.core.events import event_record, pii_access_record
from smz.core.models import Event, PersonalDataAccess
from smz.core.pii import (
    FIELD_LABELS,
    UNMASK_POLICY,
    mask_bank_card,
    mask_id_number,
    mask_phone,
    masked,
    may_unmask,
    pii_reveal,
)

PERSONAS = [
    "city_admin",
    "city_supervisor",
    "window_clerk",
    "quality_clerk",
    "safety_l2",
    "town_l1",
    "town_l2",
    "neighbour_town",
    "gc_admin",
    "gc_labor",
    "gc_pm",
    "sub_labor",
    "sup_manager",
    "neighbour_labor",
    "worker",
    "outsider",
]


@pytest.mark.parametrize(
    ("masker", "value", "shown"),
    [
        (mask_id_number, "11010519491231002X", "1101**********002X"),
        (mask_id_number, "H01234567", "H012*4567"),
        (mask_id_number, "12345678", "********"),
        (mask_id_number, "", ""),
        (mask_id_number, None, ""),
        (mask_phone, "13800001234", "138****1234"),
        (mask_phone, "0760-8888", "076**8888"),
        (mask_phone, "123456", "******"),
        (mask_phone, "", ""),
        (mask_bank_card, "6222020200112233445", "6222 **** **** 3445"),
        (mask_bank_card, "12345678", "********"),
        (mask_bank_card, None, ""),
    ],
)
def test_n2_masking_formats(masker, value, shown):
    assert masker(value) == shown


def test_n2_an_18_digit_id_number_shows_four_chars_ten_stars_last_four():
    shown = mask_id_number("11010519491231002X")
    assert len(shown) == 18 and shown[4:14] == "*" * 10
    assert shown[:4] == "1101" and shown[-4:] == "002X"


def test_n2_masked_reads_the_decrypted_worker_field(world):
    worker = world.workers["gc"]
    assert masked(worker, "id_number") == mask_id_number(worker.id_number)
    assert worker.id_number not in masked(worker, "id_number")
    assert masked(worker, "phone") == "138****1234"


def _allowed(name: str, field: str, world) -> bool:
    return world.user(name).role in UNMASK_POLICY[field]


@pytest.mark.parametrize("field", sorted(FIELD_LABELS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_n2_pii_reveal_follows_the_policy_and_audits(world, persona, field):
    user = world.user(persona)
    worker = world.workers["sub"]
    if _allowed(persona, field, world):
        assert may_unmask(user, field)
        value = pii_reveal(user=user, worker=worker, field=field, purpose="签订劳动合同")
        assert value == getattr(worker, field)
        row = PersonalDataAccess.objects.get()
        assert (row.actor, row.field, row.purpose) == (user, field, "签订劳动合同")
        assert (row.subject_type, row.subject_id) == ("registry.worker", worker.pk)
    else:
        assert not may_unmask(user, field)
        with pytest.raises(Forbidden) as exc:
            pii_reveal(user=user, worker=worker, field=field, purpose="好奇")
        assert exc.value.code == "pii.forbidden"
        assert exc.value.status == 403
        assert FIELD_LABELS[field] in exc.value.message
        assert not PersonalDataAccess.objects.exists()


def test_n2_policy_matrix_spot_checks(world):
    # Who needs full numbers for their work (pii.UNMASK_POLICY): read-only supervisors never do.
    assert may_unmask(world.user("gc_labor"), "bank_card")
    assert may_unmask(world.user("window_clerk"), "id_number")
    assert not may_unmask(world.user("city_supervisor"), "id_number")
    assert not may_unmask(world.user("city_admin"), "bank_card")
    assert not may_unmask(world.user("gc_admin"), "id_number")
    assert may_unmask(world.user("gc_admin"), "phone")


def test_n2_unknown_field_is_refused_without_audit(world):
    with pytest.raises(Forbidden) as exc:
        pii_reveal(
            user=world.user("city_admin"), worker=world.workers["gc"], field="name", purpose="x"
        )
    assert exc.value.code == "pii.unknown_field"
    assert not PersonalDataAccess.objects.exists()


def test_n2_anonymous_may_not_unmask(world):
    from django.contrib.auth.models import AnonymousUser

    assert not may_unmask(AnonymousUser(), "phone")


def test_n2_purpose_is_truncated_to_fit(world):
    pii_reveal(
        user=world.user("city_admin"), worker=world.workers["gc"], field="phone", purpose="长" * 300
    )
    assert len(PersonalDataAccess.objects.get().purpose) == 200


def _event(world) -> Event:
    return event_record(
        actor=world.user("gc_labor"),
        kind="test.happened",
        subject=world.workers["gc"],
        data={"n": 1},
    )


def _access(world) -> PersonalDataAccess:
    return pii_access_record(
        actor=world.user("gc_labor"), subject=world.workers["gc"], field="phone", purpose="测试"
    )


@pytest.mark.parametrize("make", [_event, _access], ids=["event", "pii_access"])
def test_n4_audit_rows_are_append_only(world, make):
    row = make(world)
    model = type(row)
    assert row.pk and row.actor == world.user("gc_labor")
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        model.objects.filter(pk=row.pk).update(subject_id=0)
    with pytest.raises(PermissionError):
        model.objects.filter(pk=row.pk).delete()
    with pytest.raises(PermissionError):
        model.objects.all().delete()
    assert model.objects.filter(pk=row.pk, subject_id=world.workers["gc"].pk).exists()
    # Last: bulk_update's atomic(savepoint=False) leaves the test transaction unusable after the error.
    with pytest.raises(PermissionError):
        model.objects.bulk_update([row], ["subject_id"])


def test_n4_event_records_who_what_and_on_which_record(world):
    event = _event(world)
    assert event.kind == "test.happened"
    assert (event.subject_type, event.subject_id) == ("registry.worker", world.workers["gc"].pk)
    assert event.data == {"n": 1}
    assert event.at is not None


def test_n4_anonymous_actor_is_stored_as_none(world):
    from django.contrib.auth.models import AnonymousUser

    event = event_record(actor=AnonymousUser(), kind="test.system", subject=world.workers["gc"])
    assert event.actor is None
