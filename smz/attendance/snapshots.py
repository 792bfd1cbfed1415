"""Gate snapshots: the checks a JPEG snapshot must pass to be stored, and its sealed, content-addressed storage
(snap/YYYY/MM/<sha256>.jpg). Used by the ingest path, the late snapshot attach and the face check."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image, UnidentifiedImageError

from smz.attendance.errors import AttendanceErrorCode
from smz.core.storage import EncryptedFileSystemStorage
from smz.core.uploads import image_size_ok

MAX_SNAPSHOT_BYTES = 200 * 1024
MIN_SNAPSHOT_WIDTH = 320
MIN_SNAPSHOT_HEIGHT = 240


def snapshot_inspect(data: bytes) -> tuple[int, int] | str:
    """(width, height) of an acceptable JPEG snapshot, or the rejection code."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        return AttendanceErrorCode.SNAPSHOT_TOO_LARGE
    if not data.startswith(b"\xff\xd8"):
        return AttendanceErrorCode.SNAPSHOT_NOT_JPEG
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "JPEG":
                return AttendanceErrorCode.SNAPSHOT_NOT_JPEG
            if not image_size_ok(*img.size):
                # A 200 KB JPEG can declare 65535×65535: refused by its header, never decoded later.
                return AttendanceErrorCode.SNAPSHOT_TOO_MANY_PIXELS
            return img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return AttendanceErrorCode.SNAPSHOT_TOO_MANY_PIXELS
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return AttendanceErrorCode.SNAPSHOT_NOT_JPEG


def snapshot_big_enough(width: int | None, height: int | None) -> bool:
    return bool(width and height) and width >= MIN_SNAPSHOT_WIDTH and height >= MIN_SNAPSHOT_HEIGHT


def snapshot_name(data: bytes, day: dt.date) -> str:
    return f"snap/{day:%Y/%m}/{hashlib.sha256(data).hexdigest()}.jpg"


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


def snapshot_read(name: str) -> bytes:
    """A stored snapshot's JPEG bytes (the private storage decrypts; a legacy plaintext file is read as is)."""
    with storages["default"].open(name, "rb") as fh:
        return fh.read()
