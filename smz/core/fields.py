"""Model fields for personal data: values are encrypted on the way to the database (smz.core.crypto)."""

from __future__ import annotations

from typing import Any

from django.db import models

from smz.core import crypto


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext with its key id; Python code sees the plaintext.

    Exact lookups cannot work on ciphertext (every value has a fresh nonce): search through a blind-index
    column instead. To read the raw stored token (e.g. for key rotation) use `Cast(field, TextField())`.
    """

    description = "Encrypted text (AES-256-GCM, key id per value)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


def _is_token(value: str) -> bool:
    """A value already stored as ciphertext under a configured key (so a re-run leaves it alone)."""
    try:
        crypto.decrypt(value)
    except Exception:  # any failure to decrypt (bad base64, unknown key, tag) means plaintext
        return False
    return True


def encrypt_column(apps: Any, schema_editor: Any, *, model: str, field: str) -> None:
    """Data migration step after a field became EncryptedTextField: encrypt the plaintext already stored.

    Reads the stored text as is (Cast skips decryption) and saves through the field (which encrypts);
    values already encrypted are skipped, so an interrupted run can be repeated."""
    from django.db.models.functions import Cast

    Model = apps.get_model(model)
    manager = Model._base_manager.using(schema_editor.connection.alias)
    last_pk = 0
    while True:
        rows = list(
            manager.filter(pk__gt=last_pk)
            .annotate(raw=Cast(field, models.TextField()))
            .order_by("pk")
            .values_list("pk", "raw")[:500]
        )
        if not rows:
            return
        last_pk = rows[-1][0]
        plain = [Model(pk=pk, **{field: raw}) for pk, raw in rows if raw and not _is_token(raw)]
        manager.bulk_update(plain, [field], batch_size=500)


def decrypt_column(apps: Any, schema_editor: Any, *, model: str, field: str) -> None:
    """The reverse of encrypt_column: write the plaintext back before the field turns into text again."""
    from django.db.models import Value

    Model = apps.get_model(model)
    manager = Model._base_manager.using(schema_editor.connection.alias)
    for obj in manager.exclude(**{field: ""}).only("pk", field).iterator():
        manager.filter(pk=obj.pk).update(
            **{field: Value(getattr(obj, field), output_field=models.TextField())}
        )
