"""Issue 10 item 6 (N2): gate snapshots are faces, sealed at rest by the private storage like every private file
(smz.core.storage); the permission-checked view still serves the JPEG, and private_files_seal (migration core 0003)
seals the files stored before. Snapshots that come in a batch are entries of one pack file per batch (issue 17),
each entry sealed for its own name."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import call_command

from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import PassRecord, SnapshotBlob
from smz.attendance.snapshots import snapshot_read
from smz.core import crypto
from smz.core.storage import PACK_MAGIC, private_files_seal
from smz.testing.attendance import at, gate_for, today
from smz.testing.devices import jpeg


def entry(disk, name: str) -> tuple[bytes, bytes]:
    """(the whole pack file, the snapshot's sealed entry in it) as they lie on disk."""
    place = SnapshotBlob.objects.get(name=name)
    raw = (disk / place.pack).read_bytes()
    at = place.offset
    length = int.from_bytes(raw[at : at + 2])
    at += 2 + length
    size = int.from_bytes(raw[at : at + 4])
    return raw, raw[at + 4 : at + 4 + size]


@pytest.fixture
def disk(private_dir):
    return private_dir


@pytest.fixture
def stored(world, disk):
    gate = gate_for(world, "p1", "GATE-P1-A")
    snap = jpeg()
    gc = world.workers["gc"]
    pass_records_ingest(
        device=gate, records=[RawPass("s-1", gc.pk, at(today(), 8), "in", "face", 90, snap)]
    )
    record = PassRecord.objects.get()
    return record, snap, disk / SnapshotBlob.objects.get(name=record.snapshot).pack


def test_issue10_item6_snapshot_file_on_disk_is_sealed(stored, disk):
    record, snap, path = stored
    raw, sealed = entry(disk, record.snapshot)
    assert record.snapshot.startswith("snap/") and record.snapshot.endswith(".jpg")  # naming kept
    assert not (disk / record.snapshot).exists()  # no file of its own: an entry of the batch's pack
    assert raw == path.read_bytes() and raw.startswith(PACK_MAGIC)
    # no plaintext run (a 3-byte JPEG magic alone can turn up in random ciphertext; 40 bytes cannot)
    assert snap[:40] not in raw and snap[100:140] not in raw
    assert sealed.startswith(crypto.FILE_MAGIC)
    assert snapshot_read(record.snapshot) == snap


def test_issue10_item6_authorised_view_still_returns_the_image(stored, as_user):
    record, snap, _ = stored
    r = as_user("gc_labor").get(f"/passes/{record.pk}/snapshot/")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and r.content == snap
    assert as_user("neighbour_labor").get(f"/passes/{record.pk}/snapshot/").status_code == 404


def test_issue10_item6_sealed_file_moved_or_tampered_does_not_open(stored, disk):
    record, _, path = stored
    raw, sealed = entry(disk, record.snapshot)
    with pytest.raises(InvalidTag):
        crypto.decrypt_file(sealed, name="snap/2020/01/other.jpg")
    tampered = bytearray(raw)
    tampered[-1] ^= 1
    path.write_bytes(bytes(tampered))
    with pytest.raises(InvalidTag):
        snapshot_read(record.snapshot)


def test_issue10_item6_seal_covers_plaintext_snapshot_files_once(stored, disk):
    _, snap, path = stored
    legacy = disk / "snap" / "2025" / "01" / "legacy.jpg"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(snap)
    assert snapshot_read("snap/2025/01/legacy.jpg") == snap  # readable before the migration ran
    before = path.read_bytes()
    assert private_files_seal() == (1, 0)
    sealed = legacy.read_bytes()
    assert (
        sealed.startswith(crypto.FILE_MAGIC)
        and snap[:40] not in sealed
        and snap[100:140] not in sealed
    )
    assert snapshot_read("snap/2025/01/legacy.jpg") == snap
    assert path.read_bytes() == before  # the sealed pack was left alone
    assert private_files_seal() == (0, 0)
    assert private_files_seal(decrypt=True).rewritten == 2  # the migration's reverse: file and pack
    name = PassRecord.objects.get().snapshot
    assert legacy.read_bytes() == snap and entry(disk, name)[1] == snap
    assert snapshot_read(name) == snap


def test_issue10_item6_key_rotation_reseals_snapshot_files(world, disk, settings):
    """After rotate_data_keys, private_files_seal re-seals files under the new key; the old key can go."""
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 32).decode()
    settings.SMZ_DATA_KEYS, settings.SMZ_DATA_KEY_ID = f"old:{old},new:{new}", "old"
    gate = gate_for(world, "p1", "GATE-P1-A")
    snap = jpeg()
    gc = world.workers["gc"]
    pass_records_ingest(
        device=gate, records=[RawPass("r-1", gc.pk, at(today(), 8), "in", "face", 90, snap)]
    )
    name = PassRecord.objects.get().snapshot
    assert crypto.file_key_id(entry(disk, name)[1]) == "old"
    settings.SMZ_DATA_KEY_ID = "new"
    out = io.StringIO()
    call_command("private_files_seal", stdout=out)
    assert "1" in out.getvalue() and name not in out.getvalue()
    assert crypto.file_key_id(entry(disk, name)[1]) == "new"
    settings.SMZ_DATA_KEYS = f"new:{new}"
    assert snapshot_read(name) == snap
    call_command("private_files_seal", stdout=out)
    assert out.getvalue().rstrip().endswith(": 0")
