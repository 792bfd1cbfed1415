"""Re-encrypt every personal-data value that is not under the current data key (N2 key rotation).

Procedure: add the new key to SMZ_DATA_KEYS (keeping the old one), point SMZ_DATA_KEY_ID at it, run this
command and `private_files_seal` (sealed private files: photos, scans, snapshots), then remove the old key. Rows
already under the current key are skipped, so the command is idempotent and can be re-run after an interruption.
Output names models, fields and counts, never values.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from smz.core import crypto
from smz.core.fields import EncryptedTextField

RAW = "_smz_raw_token"


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every concrete EncryptedTextField of every installed model, in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return sorted(found, key=lambda mf: (mf[0]._meta.label, mf[1].name))


def _stale(model: type[models.Model], field: EncryptedTextField, key_id: str) -> models.QuerySet:
    # Cast to a plain TextField so the stored token comes back as is (from_db_value would decrypt it).
    return (
        model._base_manager.annotate(**{RAW: Cast(field.attname, TextField())})
        .exclude(**{f"{RAW}__isnull": True})
        .exclude(**{RAW: ""})
        .exclude(**{f"{RAW}__startswith": f"{key_id}$"})
    )


class Command(BaseCommand):
    help = "Re-encrypt personal data (EncryptedTextField values) under the current SMZ_DATA_KEY_ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be re-encrypted."
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction.")

    def handle(self, *args: Any, dry_run: bool = False, batch_size: int = 500, **opts: Any) -> None:
        try:
            key_id = crypto.current_key_id()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        batch_size = max(1, batch_size)
        total = 0
        for model, field in encrypted_fields():
            label = f"{model._meta.label}.{field.name}"
            if dry_run:
                by_key = Counter(
                    crypto.key_id_of(token)
                    for token in _stale(model, field, key_id).values_list(RAW, flat=True)
                )
                count = sum(by_key.values())
                detail = ", ".join(f"{k}: {n}" for k, n in sorted(by_key.items()))
                self.stdout.write(
                    f"{label}: would re-encrypt {count}" + (f" ({detail})" if detail else "")
                )
            else:
                count = self._rotate(model, field, key_id, batch_size, label)
                self.stdout.write(f"{label}: re-encrypted {count}")
            total += count
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} value(s) under key {key_id!r}"))

    def _rotate(
        self,
        model: type[models.Model],
        field: EncryptedTextField,
        key_id: str,
        batch_size: int,
        label: str,
    ) -> int:
        done = 0
        last_pk: Any = None
        while True:
            pending = _stale(model, field, key_id).order_by("pk")
            if last_pk is not None:
                pending = pending.filter(pk__gt=last_pk)
            pks = list(pending.values_list("pk", flat=True)[:batch_size])
            if not pks:
                return done
            last_pk = pks[-1]
            with transaction.atomic():
                # Lock in primary-key order and re-read under the lock: a concurrent write may have
                # replaced the value since it was listed (it is then already under the current key).
                rows = (
                    _stale(model, field, key_id)
                    .select_for_update()
                    .filter(pk__in=pks)
                    .order_by("pk")
                    .values_list("pk", RAW)
                )
                for pk, token in rows:
                    try:
                        plain = crypto.decrypt(token)
                    except Exception as exc:
                        raise CommandError(
                            f"{label} pk={pk}: cannot decrypt value under key "
                            f"{crypto.key_id_of(token)!r} ({type(exc).__name__})"
                        ) from exc
                    # update() passes the plaintext through EncryptedTextField.get_prep_value, which
                    # encrypts it under the current key; it also leaves auto_now timestamps alone.
                    model._base_manager.filter(pk=pk).update(**{field.name: plain})
                    done += 1
