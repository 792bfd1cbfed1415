"""Seal every private file at rest under the current data key (N2, issue 10 item 6).

Private files (face and ID-card photos, window enrollment photos, scans, gate snapshots) are written sealed by
smz.core.storage.EncryptedFileSystemStorage. Run this after `rotate_data_keys` (before removing the old key): files
sealed under an older key are re-sealed, plaintext files from before encryption (none after migration core 0003)
are sealed. Idempotent; prints a count, never a name.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from smz.core import crypto
from smz.core.storage import private_files_seal, private_storage


class Command(BaseCommand):
    help = "Seal private files (photos, scans, snapshots) under the current SMZ_DATA_KEY_ID."

    def handle(self, *args: Any, **options: Any) -> None:
        if private_storage() is None:
            raise CommandError(
                'STORAGES["default"] is not smz.core.storage.EncryptedFileSystemStorage'
            )
        try:
            key_id = crypto.current_key_id()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        result = private_files_seal()
        if result.unreadable:
            raise CommandError(
                f"{result.unreadable} private file(s) do not open (damaged, or sealed under a key that "
                f"is not in SMZ_DATA_KEYS); {result.rewritten} sealed or re-sealed"
            )
        self.stdout.write(
            f"private files sealed or re-sealed under key {key_id!r}: {result.rewritten}"
        )
