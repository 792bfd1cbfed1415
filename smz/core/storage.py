"""Private files encrypted at rest (N2, issue 10 item 6): the one storage for faces, ID cards, scans, snapshots.

Every file under STORAGES["default"] is written sealed by smz.core.crypto.encrypt_file
(`SMZE1 | key id | nonce | ciphertext+tag`, AES-256-GCM under the data key, the storage name bound in as associated
data, so a file moved or swapped under another name does not open). Reads go through storage.open (FieldFile.open)
and get the plaintext back; a file without the header is a legacy plaintext file and is read as stored until
`private_files_seal` (migration core 0003, `manage.py private_files_seal`) has sealed it.
"""

from __future__ import annotations

import io
import os
import struct
import threading
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, NamedTuple

from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

from smz.core import crypto

# Sealed-file overhead besides the key id: magic, key id length byte, nonce, GCM tag.
_OVERHEAD = len(crypto.FILE_MAGIC) + 1 + 12 + 16
_HEAD = len(crypto.FILE_MAGIC) + 256  # enough to read any key id


# A pack (pack_write) starts with this line; its entries follow.
PACK_MAGIC = b"SMZP1\n"
_NAME_LEN = struct.Struct(">H")
_BLOB_LEN = struct.Struct(">I")


def _pack_entry(name: str, blob: bytes) -> bytes:
    raw = name.encode()
    return _NAME_LEN.pack(len(raw)) + raw + _BLOB_LEN.pack(len(blob)) + blob


def _pack_entry_read(fh: BinaryIO) -> tuple[str, bytes] | None:
    """The entry at the file's position, or None at the end or where no whole entry is."""
    head = fh.read(_NAME_LEN.size)
    if len(head) < _NAME_LEN.size:
        return None
    raw = fh.read(_NAME_LEN.unpack(head)[0])
    size = fh.read(_BLOB_LEN.size)
    if len(size) < _BLOB_LEN.size:
        return None
    blob = fh.read(_BLOB_LEN.unpack(size)[0])
    if len(blob) < _BLOB_LEN.unpack(size)[0]:
        return None
    try:
        return raw.decode(), blob
    except UnicodeDecodeError:
        return None


def _pack_entries(fh: BinaryIO) -> Iterator[tuple[str, bytes]]:
    fh.seek(0)
    if fh.read(len(PACK_MAGIC)) != PACK_MAGIC:
        return
    while (entry := _pack_entry_read(fh)) is not None:
        yield entry


def _fsync_dir(folder: str) -> None:
    """Make a new directory entry durable (the file's own fsync does not cover its name on every file system)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PlainFile(File):
    """A decrypted private file in memory; reopening it reads (and decrypts) the stored file again."""

    def __init__(self, data: bytes, *, name: str, storage: EncryptedFileSystemStorage) -> None:
        super().__init__(io.BytesIO(data), name=name)
        self._storage = storage
        self._stored_name = name

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> PlainFile:
        """Rewind, or read the stored file again once closed (never the ciphertext on disk by its path)."""
        if self.closed:
            self.file = io.BytesIO(self._storage.read(self._stored_name))
        else:
            self.seek(0)
        return self


class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that seals every file it writes and opens sealed or legacy plaintext files."""

    def storage_name(self, name: str) -> str:
        """The normalised name bound into a sealed file (relative to the root, forward slashes)."""
        return os.path.relpath(self.path(name), self.location).replace("\\", "/")

    def read(self, name: str) -> bytes:
        """The plaintext of a stored file (legacy plaintext files as stored)."""
        with open(self.path(name), "rb") as fh:
            data = fh.read()
        if crypto.is_encrypted_file(data):
            return crypto.decrypt_file(data, name=self.storage_name(name))
        return data

    def _open(self, name: str, mode: str = "rb") -> File:
        """The decrypted file, for reading only (writes go through save, which seals)."""
        if any(flag in mode for flag in "wax+"):
            raise ValueError("private files are written with save(), never opened for writing")
        data = self.read(name)
        if "b" not in mode:
            return File(io.StringIO(data.decode()), name=name)
        return PlainFile(data, name=name, storage=self)

    def _save(self, name: str, content: File) -> str:
        """Seal and store under `name`, or the next free name; the name stored under is the one bound in."""
        data = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in content.chunks()
        )
        os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
        while True:
            try:
                self._write(name, data, overwrite=self._allow_overwrite)  # type: ignore[attr-defined]  # Django 6 private attr, not in django-stubs
            except FileExistsError:
                name = self.get_available_name(name)  # a concurrent save took the name
            else:
                break
        if self.file_permissions_mode is not None:
            os.chmod(self.path(name), self.file_permissions_mode)
        self._ensure_location_group_id(self.path(name))  # type: ignore[attr-defined]  # Django 6 private, not in stubs
        return self.storage_name(name)

    def _write(self, name: str, data: bytes, *, overwrite: bool) -> None:
        """Seal `data` for `name` and put it there whole: a temp file then a rename (overwrite) or a hard link
        (FileExistsError if the name is taken), so a crash never leaves a truncated file under the name."""
        path = self.path(name)
        temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(temp, "wb") as fh:
            fh.write(crypto.encrypt_file(data, name=self.storage_name(name)))
        try:
            if overwrite:
                os.replace(temp, path)
            else:
                try:
                    os.link(temp, path)
                except FileExistsError:
                    raise
                except OSError:  # a file system without hard links: reserve the name, then replace
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                    os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    # ---- packs: many small sealed files in one file, written with one fsync -------------------------

    def pack_write(self, pack: str, items: Sequence[tuple[str, bytes]]) -> list[int]:
        """Write `items` (name, bytes) sealed into a new pack file `pack`, durably: one create, one write,
        one fsync of the file and one of its folder, whatever the number of items (gate snapshots arrive
        100 to a batch; a file each costs a create, a rename and, to be durable, an fsync each: docs/bench.md).
        Returns each entry's offset in the pack. A pack is never modified, only re-sealed whole or deleted.

        Layout: PACK_MAGIC, then per entry `name length (2 bytes) | name | blob length (4 bytes) | blob`,
        the blob sealed for its own name (crypto.encrypt_file), so each entry opens alone and a pack can be
        read back without the database."""
        path = self.path(pack)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        offsets: list[int] = []
        parts: list[bytes] = [PACK_MAGIC]
        at = len(PACK_MAGIC)
        for name, data in items:
            entry = _pack_entry(name, crypto.encrypt_file(data, name=name))
            offsets.append(at)
            parts.append(entry)
            at += len(entry)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"".join(parts))
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(folder)
        return offsets

    def pack_read(self, pack: str, name: str, offset: int) -> bytes:
        """The plaintext of entry `name` in `pack`, found at `offset` (or, if the pack was re-sealed since
        and the entries moved, by walking the pack's entries)."""
        with open(self.path(pack), "rb") as fh:
            for at in (offset, None):
                if at is None:
                    entry = next((e for e in _pack_entries(fh) if e[0] == name), None)
                else:
                    fh.seek(at)
                    entry = _pack_entry_read(fh)
                if entry is not None and entry[0] == name:
                    blob = entry[1]
                    return (
                        crypto.decrypt_file(blob, name=name)
                        if crypto.is_encrypted_file(blob)
                        else blob
                    )
        raise FileNotFoundError(f"{name} is not in its pack")

    def _seal_pack(self, pack: str, *, decrypt: bool) -> bool:
        """Re-seal (or open) every entry of a pack not in the wanted form: a new pack under the same name
        (temp file, fsync, rename), entries in the same order. Offsets may move; pack_read finds them."""
        current = crypto.current_key_id()
        with open(self.path(pack), "rb") as fh:
            entries = list(_pack_entries(fh))
        if decrypt:
            stale = [crypto.is_encrypted_file(blob) for _, blob in entries]
        else:
            stale = [
                not crypto.is_encrypted_file(blob) or crypto.file_key_id(blob) != current
                for _, blob in entries
            ]
        if not any(stale):
            return False
        parts = [PACK_MAGIC]
        for name, blob in entries:
            plain = crypto.decrypt_file(blob, name=name) if crypto.is_encrypted_file(blob) else blob
            parts.append(
                _pack_entry(name, plain if decrypt else crypto.encrypt_file(plain, name=name))
            )
        path = self.path(pack)
        temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(temp, "wb") as fh:
                fh.write(b"".join(parts))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        _fsync_dir(os.path.dirname(path))
        return True

    def put(self, name: str, data: bytes) -> None:
        """Store `data` sealed under exactly `name` (content-addressed snapshots; no storage round trips)."""
        os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
        self._write(name, data, overwrite=True)

    def size(self, name: str) -> int:
        """The plaintext size."""
        with open(self.path(name), "rb") as fh:
            head = fh.read(_HEAD)
        stored = os.path.getsize(self.path(name))
        if not crypto.is_encrypted_file(head):
            return stored
        return stored - _OVERHEAD - len(crypto.file_key_id(head).encode())

    def names(self) -> Iterator[str]:
        """Every stored file's name (temp files of writes in progress left out)."""
        stack = [""]
        while stack:
            folder = stack.pop()
            dirs, files = self.listdir(folder)
            stack.extend(f"{folder}/{d}" if folder else d for d in dirs)
            for file_name in files:
                if not file_name.endswith(".tmp"):
                    yield f"{folder}/{file_name}" if folder else file_name

    def seal(self, name: str, *, decrypt: bool = False) -> bool:
        """Re-seal one file under the current key (or with decrypt=True store it as plaintext again).
        Returns whether it was rewritten: a file already in the wanted form is not read past its header."""
        current = crypto.current_key_id()
        with open(self.path(name), "rb") as fh:
            head = fh.read(_HEAD)
        if head.startswith(PACK_MAGIC):
            return self._seal_pack(name, decrypt=decrypt)
        sealed = crypto.is_encrypted_file(head)
        if (not sealed) if decrypt else (sealed and crypto.file_key_id(head) == current):
            return False
        data = self.read(name)
        if decrypt:
            path = self.path(name)
            temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(temp, "wb") as fh:
                fh.write(data)
            os.replace(temp, path)
        else:
            self._write(name, data, overwrite=True)
        return True


def private_storage() -> EncryptedFileSystemStorage | None:
    """The default storage when it encrypts (it does unless a test or deployment swapped it)."""
    storage = storages["default"]
    return storage if isinstance(storage, EncryptedFileSystemStorage) else None


class SealResult(NamedTuple):
    rewritten: int  # files sealed, re-sealed (or with decrypt=True opened)
    unreadable: int  # sealed under a key that is not configured, or damaged: left as they are


def private_files_seal(*, decrypt: bool = False) -> SealResult:
    """Seal every private file stored in plaintext or under another key than the current one (migration
    core 0003, and `manage.py private_files_seal` after a key rotation; re-runnable), or with decrypt=True
    open them all again (the migration's reverse). A file that does not open is counted and left alone."""
    storage = private_storage()
    if storage is None or not os.path.isdir(storage.location):
        return SealResult(0, 0)
    rewritten = unreadable = 0
    for name in list(storage.names()):
        try:
            rewritten += storage.seal(name, decrypt=decrypt)
        except (InvalidTag, ImproperlyConfigured):
            unreadable += 1
    return SealResult(rewritten, unreadable)
