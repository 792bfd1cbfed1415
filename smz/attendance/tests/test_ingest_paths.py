"""Issue 17 goals 2 and 5: the two insert paths of a batch (a small one: the key insert finds repeats; a big
one: an optimistic COPY under a savepoint, then the lookup) answer alike for new, repeated and mixed records."""

from __future__ import annotations

import pytest

from smz.attendance import ingest
from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import PassRecord
from smz.testing.attendance import at, gate_for, today


def _batch(world, ids: range) -> list[RawPass]:
    people = [world.workers["gc"], world.workers["pm"], world.workers["sub"]]
    return [
        RawPass(f"r{k}", people[k % 3].pk, at(today(), 6, k % 60), "in", "face", 90, None)
        for k in ids
    ]


@pytest.mark.parametrize("size", [1, ingest.SMALL_BATCH, ingest.SMALL_BATCH + 5])
def test_new_repeated_and_mixed_batches_answer_alike_on_both_paths(world, size) -> None:
    gate = gate_for(world, "p1", "GATE-P1-A")
    first = pass_records_ingest(device=gate, records=_batch(world, range(size)))
    assert {a["status"] for a in first} == {"accepted"}
    again = pass_records_ingest(device=gate, records=_batch(world, range(size)))
    assert {a["status"] for a in again} == {"duplicate"}
    mixed = pass_records_ingest(device=gate, records=_batch(world, range(size // 2, size + 3)))
    statuses = [a["status"] for a in mixed]
    assert statuses == ["duplicate"] * (size - size // 2) + ["accepted"] * 3
    changed = _batch(world, range(size))
    changed[0] = RawPass("r0", world.workers["pm"].pk, at(today(), 9), "out", "face", 90, None)
    assert pass_records_ingest(device=gate, records=changed)[0]["status"] == "conflict"
    assert PassRecord.objects.count() == size + 3


def test_a_person_device_or_project_with_passes_cannot_be_deleted_without_database_keys(
    world,
) -> None:
    """N5: the pass table checks no foreign key per row (attendance 0018); PROTECT still holds, in Django."""
    from django.db import connection
    from django.db.models import ProtectedError

    gate = gate_for(world, "p1", "GATE-P1-A")
    pass_records_ingest(device=gate, records=_batch(world, range(1)))
    with connection.cursor() as cursor:
        keys = connection.introspection.get_constraints(cursor, PassRecord._meta.db_table)
    assert not [name for name, c in keys.items() if c["foreign_key"]]
    for owner in (world.workers["gc"], gate, gate.project):
        with pytest.raises(ProtectedError) as refused:
            owner.delete()
        assert any(isinstance(o, PassRecord) for o in refused.value.protected_objects)
    assert PassRecord.objects.count() == 1
