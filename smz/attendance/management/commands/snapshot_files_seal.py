"""Seal gate snapshot files at rest under the current data key (N2, issue 10 item 6).

Run after `rotate_data_keys` (before removing the old key): files sealed under an older key are re-sealed,
plaintext files (none after migration attendance 0009) are sealed. Idempotent; prints a count, never a name.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smz.attendance.ingest import snapshot_files_encrypt


class Command(BaseCommand):
    help = "Seal snapshot files under the current SMZ_DATA_KEY_ID (after a key rotation)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = snapshot_files_encrypt()
        self.stdout.write(f"snapshot files sealed or re-sealed: {count}")
