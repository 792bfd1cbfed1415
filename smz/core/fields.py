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
