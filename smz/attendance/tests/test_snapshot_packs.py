"""Issue 17 goal 1 (N5): a batch's snapshots are stored as one durable pack (one create, one write, one fsync of
the file and of its folder), their size read from the JPEG header without decoding, each readable on its own,
retries never written twice, packs nothing points at swept, retention taking a pack away with its last entry."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import os
import random
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from smz.attendance import snapshots as snaps
from smz.attendance.ingest import RawPass, _snapshot_bytes, pass_records_ingest
from smz.attendance.models import PassRecord, SnapshotBlob
from smz.attendance.snapshots import (
    jpeg_size,
    snapshot_inspect,
    snapshot_packs_sweep,
    snapshot_read,
    snapshots_forget,
)
from smz.core.storage import PACK_MAGIC, private_files_seal
from smz.core.tests.bombs import jpeg_header_bomb
from smz.testing.attendance import at, gate_for, today
from smz.testing.devices import jpeg


def _variants() -> list[tuple[str, bytes]]:
    """JPEGs as gates and phones write them, and broken ones: PIL's answer is the reference."""
    out: list[tuple[str, bytes]] = []
    for mode, size, kw in [
        ("RGB", (320, 240), {}),
        ("RGB", (641, 480), {"progressive": True}),
        ("L", (400, 300), {}),
        ("CMYK", (333, 250), {}),
        ("RGB", (1, 1), {}),
        ("RGB", (1920, 1080), {"optimize": True, "quality": 20}),
    ]:
        buf = io.BytesIO()
        Image.new(mode, size).save(buf, "JPEG", **kw)
        out.append((f"{mode}-{size[0]}x{size[1]}", buf.getvalue()))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "ZKTeco"
    Image.new("RGB", (352, 288)).save(buf, "JPEG", exif=exif.tobytes(), comment=b"gate 7")
    out.append(("exif-and-comment", buf.getvalue()))
    good = out[0][1]
    sof = good.find(b"\xff\xc0")
    out += [
        ("fill-bytes-before-a-marker", good[:2] + b"\xff\xff" + good[2:]),
        ("cut-inside-the-frame-header", good[: sof + 6]),
        ("cut-before-the-frame", good[:sof]),
        ("only-soi", b"\xff\xd8"),
        ("garbage-after-soi", b"\xff\xd8" + b"\x00" * 40),
        ("scan-before-frame", b"\xff\xd8\xff\xda\x00\x02" + good[sof:]),
        ("segment-length-one", b"\xff\xd8\xff\xe0\x00\x01" + good[2:]),
        ("png", b"\x89PNG\r\n\x1a\n" + good[2:]),
    ]
    rng = random.Random(17)
    for k in range(20):  # random corruption of a real header
        broken = bytearray(good)
        for _ in range(3):
            broken[rng.randrange(2, sof + 10)] = rng.randrange(256)
        out.append((f"corrupt-{k}", bytes(broken)))
    return out


def _pil_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size if img.format == "JPEG" else None
    except Exception:  # any refusal by PIL means "not a JPEG" for the comparison
        return None


WELL_FORMED = 8  # the first variants; the rest are broken


@pytest.mark.parametrize(("label", "data"), _variants(), ids=[v[0] for v in _variants()])
def test_goal1_jpeg_size_from_the_header_agrees_with_pil(label, data) -> None:
    """Well-formed: the same size as PIL. Broken: refused, or (where the damage missed the structure) the
    size PIL reads. Never a size PIL does not see. Stricter than PIL, which skips stray bytes to resync."""
    ours = jpeg_size(data)
    if label in {v[0] for v in _variants()[:WELL_FORMED]}:
        assert ours == _pil_size(data) is not None, label
    else:
        assert ours is None or ours == _pil_size(data), label


def test_goal1_header_bombs_and_sizes_keep_their_codes() -> None:
    assert snapshot_inspect(jpeg_header_bomb(30000, 30000)) == "snapshot.too_many_pixels"
    assert snapshot_inspect(jpeg_header_bomb(0, 480)) == "snapshot.too_many_pixels"
    assert snapshot_inspect(b"\xff\xd8\xff\xd9") == "snapshot.not_jpeg"
    assert snapshot_inspect(jpeg(320, 240)) == (320, 240)


def _decoded(decode, value):
    try:
        return decode(value)
    except ValueError:  # binascii.Error is one
        return "refused"


@hypothesis_settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="QUJDRAab09+/=-_ *\né\x00", max_size=14),
        st.binary(max_size=10).map(lambda b: base64.b64encode(b).decode()),
        st.tuples(st.binary(max_size=10), st.integers(0, 20), st.sampled_from("=A/ \n.é")).map(
            lambda t: (e := base64.b64encode(t[0]).decode())[: t[1]] + t[2] + e[t[1] :]
        ),
    )
)
def test_goal1_snapshot_base64_is_as_strict_as_binascii(value) -> None:
    """The SIMD decoder of the ingest path (pybase64) accepts, refuses and decodes what binascii's strict mode
    does: the same bytes, or a refusal (answered snapshot.bad_base64)."""
    reference = _decoded(lambda v: binascii.a2b_base64(v, strict_mode=True), value)
    assert _decoded(_snapshot_bytes, value) == (reference if value else None)


@pytest.fixture
def gate(world):
    return gate_for(world, "p1", "GATE-P1-A")


def _passes(world, gate, snaps_by_id: dict[str, bytes | str], *, batch_id: str = ""):
    people = [world.workers["gc"], world.workers["pm"], world.workers["sub"]]
    records = [
        RawPass(rid, people[k % 3].pk, at(today(), 7, k), "in", "face", 90, snap)
        for k, (rid, snap) in enumerate(snaps_by_id.items())
    ]
    return pass_records_ingest(device=gate, records=records, batch_id=batch_id)


def _packs(disk: Path) -> list[Path]:
    return sorted(disk.glob("snap/packs/*/*/*/*.pack"))


def test_goal1_one_pack_per_batch_one_fsync_each_for_file_and_folder(
    world, gate, private_dir, monkeypatch
) -> None:
    a, b = jpeg(320, 240), jpeg(400, 300)
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    answers = _passes(world, gate, {"r1": a, "r2": b, "r3": base64.b64encode(a).decode()})
    assert [x["status"] for x in answers] == ["accepted"] * 3
    (pack,) = _packs(private_dir)
    assert len(synced) == 2  # the pack and its folder, not one per snapshot
    assert pack.read_bytes().startswith(PACK_MAGIC)
    names = dict(PassRecord.objects.values_list("device_record_id", "snapshot"))
    assert names["r1"] == names["r3"] != names["r2"]  # the same photo twice is one entry
    assert SnapshotBlob.objects.count() == 2
    assert {Path(private_dir / p) for p in SnapshotBlob.objects.values_list("pack", flat=True)} == {
        pack
    }
    assert snapshot_read(names["r1"]) == a and snapshot_read(names["r2"]) == b
    assert not list(private_dir.glob("snap/*/*/*.jpg"))  # no file per snapshot


def test_goal1_a_retry_writes_no_second_pack(world, gate, private_dir) -> None:
    a, b = jpeg(320, 240), jpeg(400, 300)
    _passes(world, gate, {"r1": a, "r2": b})
    again = _passes(world, gate, {"r1": a, "r2": b})  # no batch id: record by record
    assert [x["status"] for x in again] == ["duplicate", "duplicate"]
    assert len(_packs(private_dir)) == 1
    # a new record with a photo stored before: a new pass, the same entry
    _passes(world, gate, {"r3": a})
    assert len(_packs(private_dir)) == 1 and SnapshotBlob.objects.count() == 2


def test_goal1_an_entry_is_found_after_a_reseal_moved_it(
    world, gate, private_dir, settings
) -> None:
    """Re-sealing under a key id of another length moves every entry but the first: found by walking."""
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 32).decode()
    settings.SMZ_DATA_KEYS, settings.SMZ_DATA_KEY_ID = f"k1:{old},rotated-2027:{new}", "k1"
    photos = {f"r{k}": jpeg(320 + k, 240) for k in range(4)}
    _passes(world, gate, photos)
    (pack,) = _packs(private_dir)
    before = pack.read_bytes()
    settings.SMZ_DATA_KEY_ID = "rotated-2027"
    assert private_files_seal() == (1, 0)
    assert len(pack.read_bytes()) == len(before) + 4 * (len("rotated-2027") - len("k1"))
    settings.SMZ_DATA_KEYS = f"rotated-2027:{new}"
    names = dict(PassRecord.objects.values_list("device_record_id", "snapshot"))
    for rid, data in photos.items():
        assert snapshot_read(names[rid]) == data


def test_goal1_a_pack_whose_transaction_rolled_back_is_swept_days_later(
    world, gate, private_dir
) -> None:
    now = timezone.now()
    with pytest.raises(RuntimeError), transaction.atomic():
        _passes(world, gate, {"r1": jpeg(320, 240)})
        raise RuntimeError("the ingest transaction fails after the pack was written")
    assert not PassRecord.objects.exists() and not SnapshotBlob.objects.exists()
    (orphan,) = _packs(private_dir)
    _passes(world, gate, {"r2": jpeg(400, 300)})
    kept = next(p for p in _packs(private_dir) if p != orphan)
    assert snapshot_packs_sweep(now=now) == 0  # written today: too young to judge
    two_days_on = now + dt.timedelta(days=2)
    assert snapshot_packs_sweep(now=two_days_on) == 1
    assert not orphan.exists() and kept.exists()
    assert snapshot_read(PassRecord.objects.get().snapshot) == jpeg(400, 300)


def test_goal1_forgetting_every_entry_of_a_pack_removes_it(
    world, gate, private_dir, django_capture_on_commit_callbacks
) -> None:
    a, b = jpeg(320, 240), jpeg(400, 300)
    _passes(world, gate, {"r1": a, "r2": b})
    (pack,) = _packs(private_dir)
    names = dict(PassRecord.objects.values_list("device_record_id", "snapshot"))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        snapshots_forget([names["r1"]])
    assert pack.exists() and snapshot_read(names["r2"]) == b  # r2 still lives in it
    with pytest.raises(FileNotFoundError):
        snapshot_read(names["r1"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        snapshots_forget([names["r2"]])
    assert not pack.exists() and not SnapshotBlob.objects.exists()


def test_goal1_without_the_private_storage_each_snapshot_is_a_file(world, gate, settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    a = jpeg(320, 240)
    _passes(world, gate, {"r1": a})
    assert not SnapshotBlob.objects.exists()
    assert snapshot_read(PassRecord.objects.get().snapshot) == a
    assert snaps.snapshot_packs_sweep(now=timezone.now()) == 0


def test_goal1_a_batch_digest_hashes_each_snapshot_once_and_old_digests_still_replay(
    world, gate, private_dir
) -> None:
    """The batch's digest uses the snapshot's content digest (the one its name has), not a second hash of the
    base64 text; a batch stored under the digest of before still gets its answers on a replay, and a changed
    photo under the same batch id is still a conflict."""
    from smz.attendance import ingest
    from smz.attendance.models import IngestBatch
    from smz.core.errors import DomainError

    photo = base64.b64encode(jpeg(320, 240)).decode()
    other = base64.b64encode(jpeg(640, 480)).decode()
    first = _passes(world, gate, {"r1": photo, "r2": "!!"}, batch_id="B1")
    stored = IngestBatch.objects.get(batch_id="B1")
    records = [
        RawPass(rid, p.pk, at(today(), 7, k), "in", "face", 90, snap)
        for k, (rid, snap, p) in enumerate(
            [("r1", photo, world.workers["gc"]), ("r2", "!!", world.workers["pm"])]
        )
    ]
    legacy = ingest._batch_digest(records)
    assert stored.digest != legacy  # the decoded photo's digest, not its text's
    IngestBatch.objects.filter(pk=stored.pk).update(digest=legacy)  # stored before the change
    assert _passes(world, gate, {"r1": photo, "r2": "!!"}, batch_id="B1") == first
    with pytest.raises(DomainError):
        _passes(world, gate, {"r1": other, "r2": "!!"}, batch_id="B1")
    assert PassRecord.objects.count() == 1
