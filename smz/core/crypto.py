"""Encryption at rest for personal data (N2): AES-256-GCM with a key id per value, plus a keyed blind index.

Stored form: "<key id>$<base64(nonce || ciphertext+tag)>". The key id makes rotation possible: new values are
written with settings.SMZ_DATA_KEY_ID, old ones stay readable while their key is configured, and
`manage.py rotate_data_keys` rewrites everything under the current key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _keys(spec: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in spec.split(","):
        key_id, _, b64 = item.strip().partition(":")
        raw = base64.b64decode(b64)
        if not key_id or "$" in key_id or len(raw) != 32:
            raise ImproperlyConfigured("SMZ_DATA_KEYS: each entry is '<id>:<base64 of 32 bytes>'")
        keys[key_id] = raw
    return keys


def data_keys() -> dict[str, bytes]:
    return _keys(settings.SMZ_DATA_KEYS)


@cache
def _aead(spec: str, key_id: str) -> AESGCM:
    """One cipher object per key (its key schedule made once, not per sealed value: a batch seals 100 snapshots)."""
    return AESGCM(_keys(spec)[key_id])


def _cipher(key_id: str) -> AESGCM:
    """The cipher of a configured key id; KeyError for an id that is not configured."""
    spec = settings.SMZ_DATA_KEYS
    if key_id not in _keys(spec):
        raise KeyError(key_id)
    return _aead(spec, key_id)


def current_key_id() -> str:
    key_id = settings.SMZ_DATA_KEY_ID
    if key_id not in data_keys():
        raise ImproperlyConfigured(f"SMZ_DATA_KEY_ID {key_id!r} is not among SMZ_DATA_KEYS")
    return key_id


def encrypt(plaintext: str, *, aad: bytes = b"smz") -> str:
    key_id = current_key_id()
    nonce = os.urandom(12)
    sealed = _cipher(key_id).encrypt(nonce, plaintext.encode(), aad)
    return f"{key_id}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, aad: bytes = b"smz") -> str:
    key_id, _, b64 = token.partition("$")
    try:
        cipher = _cipher(key_id)
    except KeyError as exc:
        raise ImproperlyConfigured(f"no data key with id {key_id!r} is configured") from exc
    raw = base64.b64decode(b64)
    return cipher.decrypt(raw[:12], raw[12:], aad).decode()


def key_id_of(token: str) -> str:
    return token.partition("$")[0]


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC of a normalised value, so staff can find a person by full number without decrypting all."""
    key = settings.SMZ_BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


# Files (gate snapshots): "SMZE1" | key id length (1 byte) | key id | nonce (12) | ciphertext+tag. The file's
# storage name is the associated data, so a sealed file moved under another name does not open.
FILE_MAGIC = b"SMZE1"


def encrypt_file(data: bytes, *, name: str) -> bytes:
    """Seal a file's bytes under the current key for storage at `name`."""
    key_id = current_key_id()
    nonce = os.urandom(12)
    sealed = _cipher(key_id).encrypt(nonce, data, b"smz-file:" + name.encode())
    raw_id = key_id.encode()
    return b"".join((FILE_MAGIC, bytes([len(raw_id)]), raw_id, nonce, sealed))


def is_encrypted_file(data: bytes) -> bool:
    return data.startswith(FILE_MAGIC)


def file_key_id(data: bytes) -> str:
    """The key id a sealed file was written with (for rotation)."""
    start = len(FILE_MAGIC)
    return data[start + 1 : start + 1 + data[start]].decode()


def decrypt_file(data: bytes, *, name: str) -> bytes:
    """Open a file sealed by encrypt_file (the tag check refuses a tampered or renamed file)."""
    if not is_encrypted_file(data):
        raise ValueError("not a sealed file")
    start = len(FILE_MAGIC)
    length = data[start]
    key_id = data[start + 1 : start + 1 + length].decode()
    try:
        cipher = _cipher(key_id)
    except KeyError as exc:
        raise ImproperlyConfigured(f"no data key with id {key_id!r} is configured") from exc
    body = data[start + 1 + length :]
    return cipher.decrypt(body[:12], body[12:], b"smz-file:" + name.encode())
