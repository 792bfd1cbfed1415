"""Gate snapshots: the checks a JPEG snapshot must pass to be stored, and its sealed, content-addressed storage.

A snapshot's name is content-addressed (snap/YYYY/MM/<sha256>.jpg). Snapshots that come in a batch are stored in
one pack file per batch (snapshots_pack, indexed by SnapshotBlob); older ones and the seeds' are a file each
under their name (snapshot_store). snapshot_read finds either. Used by the ingest path, the late snapshot attach,
the face check, the pass's photo page and retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.models import SnapshotBlob
from smz.core.bulk import AnyOf, rows_upsert
from smz.core.storage import EncryptedFileSystemStorage
from smz.core.uploads import image_size_ok

MAX_SNAPSHOT_BYTES = 200 * 1024
MIN_SNAPSHOT_WIDTH = 320
MIN_SNAPSHOT_HEIGHT = 240


# Start-of-frame markers (baseline, extended, progressive, lossless; Huffman and arithmetic coded): the frame
# header after one of them holds the image's height and width. DHT (C4), JPG (C8) and DAC (CC) are not frames.
_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
# Markers without a length field: TEM and RST0–7.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, read from the header bytes without decoding anything (the
    ingest path reads 28,000 a second at the national peak: PIL's parser costs ~20 µs a header, this ~2).
    None when the bytes are not a JPEG up to its frame header (no SOI, a broken marker, a segment running
    past the end, the scan starting before any frame)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    at, end = 2, len(data)
    while at < end:
        if data[at] != 0xFF:
            return None
        while at < end and data[at] == 0xFF:  # fill bytes may precede a marker
            at += 1
        if at >= end:
            return None
        marker = data[at]
        at += 1
        if marker in _STANDALONE:
            continue
        if marker in (0xD8, 0xD9, 0xDA) or at + 2 > end:  # a second SOI, EOI or the scan: no frame
            return None
        length = int.from_bytes(data[at : at + 2])
        if length < 2 or at + length > end:
            return None
        if marker in _SOF_MARKERS:
            if length < 8:
                return None
            height = int.from_bytes(data[at + 3 : at + 5])
            width = int.from_bytes(data[at + 5 : at + 7])
            return width, height
        at += length
    return None


def snapshot_inspect(data: bytes) -> tuple[int, int] | str:
    """(width, height) of an acceptable JPEG snapshot, or the rejection code."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        return AttendanceErrorCode.SNAPSHOT_TOO_LARGE
    size = jpeg_size(data)
    if size is None:
        return AttendanceErrorCode.SNAPSHOT_NOT_JPEG
    if not image_size_ok(*size):
        # A 200 KB JPEG can declare 65535×65535: refused by its header, never decoded later.
        return AttendanceErrorCode.SNAPSHOT_TOO_MANY_PIXELS
    return size


def snapshot_big_enough(width: int | None, height: int | None) -> bool:
    return bool(width and height) and width >= MIN_SNAPSHOT_WIDTH and height >= MIN_SNAPSHOT_HEIGHT


def snapshot_name(data: bytes, day: dt.date, *, sha256: str = "") -> str:
    """Content-addressed; `sha256` is the bytes' hex digest when the caller has it already (hashed once)."""
    return f"snap/{day:%Y/%m}/{sha256 or hashlib.sha256(data).hexdigest()}.jpg"


def snapshot_store(data: bytes, name: str) -> str:
    """Content-addressed: a retried record (or a crash between file and row) never leaves a second copy.
    Snapshots are faces (N2): the private storage seals them like every private file (smz.core.storage).
    On the file system written directly under the final name (sealed temp file + atomic rename): Django's
    storage API costs ~4× more per file (docs/bench.md)."""
    storage = storages["default"]
    if isinstance(storage, EncryptedFileSystemStorage):
        if not os.path.exists(storage.path(name)):
            storage.put(name, data)
        return name
    if storage.exists(name):
        return name
    return storage.save(name, ContentFile(data))


def snapshots_pack(items: dict[str, bytes], now: dt.datetime) -> list[tuple[str, str, int]]:
    """Write a batch's snapshots (name → JPEG) into one new pack, durably (one fsync, not one per file), before
    the transaction that stores their passes. Returns the SnapshotBlob rows for snapshot_blobs_record to insert
    in that transaction. If it rolls back, the pack is bytes nothing points at: snapshot_packs_sweep removes it
    days later. Where the storage is not the private file system one, a file per snapshot (snapshot_store)."""
    if not items:
        return []
    storage = storages["default"]
    if not isinstance(storage, EncryptedFileSystemStorage):
        for name, data in items.items():
            snapshot_store(data, name)
        return []
    # A retried batch (or the same photo sent again) is stored already: not written a second time.
    stored = snapshot_places(items)
    entries = [(name, data) for name, data in items.items() if name not in stored]
    if not entries:
        return []
    pack = f"snap/packs/{now:%Y/%m/%d}/{uuid.uuid4().hex}.pack"
    offsets = storage.pack_write(pack, entries)
    return [(name, pack, at) for (name, _), at in zip(entries, offsets, strict=True)]


# Packs written 2 to 9 days ago (UTC days, as their folders): long past any ingest transaction; swept daily.
PACK_SWEEP_DAYS = (2, 9)


def snapshot_packs_sweep(*, now: dt.datetime, days: tuple[int, int] = PACK_SWEEP_DAYS) -> int:
    """Delete the packs nothing points at (written, then their ingest transaction rolled back, or every
    entry was stored by a concurrent batch first) among those written `days` ago; returns how many. One
    read per day folder. Packs whose entries retention forgot went already (snapshots_forget)."""
    storage = storages["default"]
    if not isinstance(storage, EncryptedFileSystemStorage):
        return 0
    removed = 0
    for back in range(days[0], days[1] + 1):
        folder = f"snap/packs/{now - dt.timedelta(days=back):%Y/%m/%d}"
        if not os.path.isdir(storage.path(folder)):
            continue
        packs = [f"{folder}/{n}" for n in storage.listdir(folder)[1] if n.endswith(".pack")]
        used = set(
            SnapshotBlob.objects.filter(AnyOf(F("pack"), packs))
            .values_list("pack", flat=True)
            .distinct()
        )
        for pack in packs:
            if pack not in used:
                storage.delete(pack)
                removed += 1
    return removed


def snapshot_blobs_record(rows: list[tuple[str, str, int]]) -> None:
    """Index the pack entries; a name already indexed keeps its first place (same content, same name)."""
    rows_upsert(SnapshotBlob, ("name", "pack", "offset"), rows, unique=("name",))


def snapshots_forget(names: Iterable[str]) -> None:
    """Remove snapshots no pass shows any more (retention), inside the caller's transaction: their pack
    entries are forgotten, and once it commits their own files and every pack left without an entry are
    deleted. A pack still holding an entry another pass shows stays whole (content-addressed: rare)."""
    wanted = sorted(set(names))
    if not wanted:
        return
    blobs = SnapshotBlob.objects.filter(AnyOf(F("name"), wanted))
    packs = set(blobs.values_list("pack", flat=True))
    blobs.delete()
    still = set(
        SnapshotBlob.objects.filter(AnyOf(F("pack"), sorted(packs)))
        .values_list("pack", flat=True)
        .distinct()
    )
    gone = [*wanted, *sorted(packs - still)]
    storage = storages["default"]
    transaction.on_commit(lambda: [storage.delete(name) for name in gone])


def snapshot_places(names: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Name → (pack, offset) of the names stored in packs, in one read (the roll-up's face checks read many)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = SnapshotBlob.objects.filter(AnyOf(F("name"), wanted)).values_list(
        "name", "pack", "offset"
    )
    return {name: (pack, offset) for name, pack, offset in rows}


def snapshot_read(name: str, places: dict[str, tuple[str, int]] | None = None) -> bytes:
    """A stored snapshot's JPEG bytes, from its pack or its own file (the private storage decrypts; a legacy
    plaintext file is read as is). `places` (snapshot_places) saves the lookup when reading many."""
    storage = storages["default"]
    place = (places if places is not None else snapshot_places([name])).get(name)
    if place is not None and isinstance(storage, EncryptedFileSystemStorage):
        return storage.pack_read(place[0], name, place[1])
    with storage.open(name, "rb") as fh:
        return fh.read()
