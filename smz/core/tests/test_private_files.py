"""Issue 10 item 6 (N2): every private file (face and ID-card photos, scans, snapshots) is sealed at rest by the one
encrypting storage; the permission-checked views still serve the original bytes, legacy plaintext files stay
readable until `private_files_seal` (or migration core 0003) seals them, and a file moved to another name does not
open."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
import os

import pytest
from cryptography.exceptions import InvalidTag
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from smz.approvals.models import RequestKind
from smz.core import crypto
from smz.core.storage import EncryptedFileSystemStorage, private_files_seal
from smz.testing.approvals import PDF, fresh_permit, request_filed
from smz.testing.devices import jpeg

JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF"


@pytest.fixture
def disk(private_dir):
    return private_dir


@pytest.fixture
def photos(world, disk):
    """gc's face photo and ID-card photo, saved as the services save them."""
    worker = world.workers["gc"]
    face, card = jpeg(), jpeg(320, 200, face=False)
    worker.face_photo.save("face.jpg", ContentFile(face), save=False)
    worker.card_photo.save("card.jpg", ContentFile(card), save=False)
    worker.save(update_fields=["face_photo", "card_photo"])
    return worker, face, card


@pytest.fixture
def attachment(world, disk):
    p1 = fresh_permit(world.projects["p1"])
    filed = request_filed(
        world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
    )
    return filed.attachments.first()


def _assert_sealed(raw: bytes, plain: bytes, magic: bytes) -> None:
    assert raw.startswith(crypto.FILE_MAGIC)
    # No plaintext: not the file's own header (its magic and first 40 bytes), not a run from its middle. A
    # 3-byte magic alone can turn up in random ciphertext (once in ≈ 1,700 sealed 10 KB files), 40 bytes cannot.
    assert not raw[len(crypto.FILE_MAGIC) :].startswith(magic)
    assert plain not in raw and plain[:40] not in raw and plain[20:60] not in raw


def test_issue10_item6_settings_store_private_files_encrypted():
    from django.core.files.storage import storages

    assert isinstance(storages["default"], EncryptedFileSystemStorage)


def test_issue10_item6_face_and_card_photos_are_sealed_on_disk(photos, disk):
    worker, face, card = photos
    _assert_sealed((disk / worker.face_photo.name).read_bytes(), face, JPEG_MAGIC)
    _assert_sealed((disk / worker.card_photo.name).read_bytes(), card, JPEG_MAGIC)
    assert b"JFIF" not in (disk / worker.face_photo.name).read_bytes()
    with worker.face_photo.open("rb") as fh:
        assert fh.read() == face
    with worker.face_photo.open(
        "rb"
    ) as fh:  # reopened after close: decrypted again, not the disk bytes
        assert fh.read() == face
    assert worker.face_photo.size == len(face) and default_storage.size(
        worker.card_photo.name
    ) == len(card)


def test_issue10_item6_portal_photo_view_returns_the_original_bytes(photos, as_user):
    worker, face, card = photos
    client = as_user("gc_labor")
    for kind, plain in (("face", face), ("card", card)):
        response = client.get(f"/workers/{worker.pk}/photo/{kind}/")
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == plain
        assert int(response["Content-Length"]) == len(plain)
    assert as_user("neighbour_labor").get(f"/workers/{worker.pk}/photo/face/").status_code == 404


def test_issue10_item6_approval_attachment_is_sealed_and_served(attachment, disk, as_user):
    _assert_sealed((disk / attachment.file.name).read_bytes(), PDF, PDF_MAGIC)
    response = as_user("gc_labor").get(reverse("approvals:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == PDF


def test_issue10_item6_moved_or_tampered_file_does_not_open(photos, disk):
    worker, _face, _card = photos
    name = worker.face_photo.name
    os.replace(disk / name, disk / "face" / "moved.jpg")
    with pytest.raises(InvalidTag):
        default_storage.open("face/moved.jpg").read()
    os.replace(disk / "face" / "moved.jpg", disk / name)
    raw = bytearray((disk / name).read_bytes())
    raw[-1] ^= 1
    (disk / name).write_bytes(bytes(raw))
    with pytest.raises(InvalidTag):
        default_storage.open(name)


def test_issue10_item6_save_never_overwrites_and_binds_the_name_it_stored_under(disk):
    first = default_storage.save("scan/a.pdf", ContentFile(PDF))
    second = default_storage.save("scan/a.pdf", ContentFile(PDF + b"%2"))
    assert first == "scan/a.pdf" and second != first and second.startswith("scan/a_")
    assert default_storage.open(second).read() == PDF + b"%2"
    assert default_storage.open(first).read() == PDF
    assert not [p for p in disk.rglob("*.tmp")]


def test_issue10_item6_writing_through_open_is_refused(disk):
    default_storage.save("scan/a.pdf", ContentFile(PDF))
    with pytest.raises(ValueError):
        default_storage.open("scan/a.pdf", "wb")


def test_issue10_item6_legacy_plaintext_is_read_then_sealed_once(photos, disk):
    worker, face, _card = photos
    legacy = disk / "card" / "legacy.jpg"
    legacy.write_bytes(face)
    (disk / "snap" / "2025" / "01").mkdir(parents=True)
    (disk / "snap" / "2025" / "01" / "old.jpg").write_bytes(face)
    worker.card_photo.name = "card/legacy.jpg"
    worker.save(update_fields=["card_photo"])
    with worker.card_photo.open("rb") as fh:  # readable before sealing
        assert fh.read() == face
    assert worker.card_photo.size == len(face)
    sealed_before = (disk / worker.face_photo.name).read_bytes()
    out = io.StringIO()
    call_command("private_files_seal", stdout=out)
    assert out.getvalue().rstrip().endswith(": 2") and "legacy" not in out.getvalue()
    _assert_sealed(legacy.read_bytes(), face, JPEG_MAGIC)
    with worker.card_photo.open("rb") as fh:
        assert fh.read() == face
    assert (
        disk / worker.face_photo.name
    ).read_bytes() == sealed_before  # already sealed: left alone
    call_command("private_files_seal", stdout=out)
    assert out.getvalue().rstrip().endswith(": 0")


def test_issue10_item6_migration_seals_and_its_reverse_opens(photos, disk):
    worker, face, card = photos
    legacy = disk / "receipt" / "r.pdf"
    legacy.parent.mkdir()
    legacy.write_bytes(PDF)
    migration = importlib.import_module("smz.core.migrations.0003_private_files_sealed")
    migration.seal(None, None)
    _assert_sealed(legacy.read_bytes(), PDF, PDF_MAGIC)
    assert private_files_seal() == (0, 0)  # idempotent
    migration.unseal(None, None)
    assert legacy.read_bytes() == PDF and (disk / worker.face_photo.name).read_bytes() == face
    assert default_storage.open(worker.card_photo.name).read() == card
    assert private_files_seal().rewritten == 3


def test_issue10_item6_key_rotation_reseals_private_files(photos, disk, settings):
    worker, face, _card = photos
    old = settings.SMZ_DATA_KEYS.split(",")[0].split(":")[0]
    assert crypto.file_key_id((disk / worker.face_photo.name).read_bytes()) == old
    new = base64.b64encode(b"n" * 32).decode()
    settings.SMZ_DATA_KEYS, settings.SMZ_DATA_KEY_ID = f"{settings.SMZ_DATA_KEYS},new:{new}", "new"
    out = io.StringIO()
    call_command("private_files_seal", stdout=out)
    assert out.getvalue().rstrip().endswith(": 2")
    settings.SMZ_DATA_KEYS = f"new:{new}"  # the old key can go
    assert crypto.file_key_id((disk / worker.face_photo.name).read_bytes()) == "new"
    with worker.face_photo.open("rb") as fh:
        assert fh.read() == face


def test_issue10_item6_a_file_that_does_not_open_is_counted_and_left_alone(photos, disk):
    _worker, face, _card = photos
    # sealed under a key that is no longer configured (a backup restored after the old key was dropped)
    (disk / "face" / "old.jpg").write_bytes(crypto.FILE_MAGIC + b"\x04gone" + os.urandom(64))
    (disk / "card" / "plain.jpg").write_bytes(face)
    with pytest.raises(CommandError, match="1 private file"):
        call_command("private_files_seal", stdout=io.StringIO())
    _assert_sealed((disk / "card" / "plain.jpg").read_bytes(), face, JPEG_MAGIC)  # the rest went on


def test_issue10_item6_seal_command_refuses_a_storage_that_does_not_encrypt(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    with pytest.raises(CommandError):
        call_command("private_files_seal")


def test_issue10_item6_save_works_on_a_file_system_without_hard_links(disk, monkeypatch):
    def no_links(src, dst):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    first = default_storage.save("scan/b.pdf", ContentFile(PDF))
    second = default_storage.save("scan/b.pdf", ContentFile(PDF + b"%2"))
    assert first != second
    assert default_storage.open(first).read() == PDF
    assert default_storage.open(second).read() == PDF + b"%2"
    assert not [p for p in disk.rglob("*.tmp")]
