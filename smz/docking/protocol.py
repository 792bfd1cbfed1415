"""The national platform's gateway protocol (附件8, docs/interfaces/platform-docking.md), as pure functions.

One module serves every side of it: smz's gateway (verifying what vendors send), the upward client (smz sending to a
provincial or national platform), the fake upstream and the conformance kit. It imports nothing from Django.

Envelope: form POST `appid`, `data` (a JSON string), `format=json`, `method`, `nonce`, `timestamp`
(`yyyyMMddHHmmss`, Shanghai time), `version=1.0`, `sign`.

    sign = hex(SHA-256(lower("appid=…&data=…&format=json&method=…&nonce=…&timestamp=…&version=1.0&appsecret=SECRET")))

Personal numbers inside `data` (SENSITIVE_FIELDS) travel AES/CBC/PKCS7-encrypted: key = the secret's bytes (32
characters → AES-256), IV = its first 16 characters, base64 text; in requests and in query answers alike.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERSION = "1.0"
FORMAT = "json"
SECRET_LENGTH = 32
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The order the signed string lists the fields in (alphabetical, as the national gateway does).
SIGNED_FIELDS = ("appid", "data", "format", "method", "nonce", "timestamp", "version")
ENVELOPE_FIELDS = (*SIGNED_FIELDS, "sign")
SENSITIVE_FIELDS = frozenset(
    {
        "idCardNumber",
        "pmIdcardNumber",
        "teamLeaderIdNumber",
        "responsiblePersonIdNumber",
        "payRollBankCardNumber",
        "payBankCardNumber",
    }
)

_SECRET_ALPHABET = string.ascii_letters + string.digits


class CipherError(ValueError):
    """A value that is not a base64 AES/CBC/PKCS7 text under this secret."""


def new_secret() -> str:
    """32 characters of letters and digits: a valid AES-256 key as bytes, and its first 16 the IV."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def new_nonce() -> str:
    return secrets.token_hex(16)


def timestamp_of(moment: dt.datetime) -> str:
    """`yyyyMMddHHmmss` in Shanghai time of an aware datetime."""
    return moment.astimezone(SHANGHAI).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> dt.datetime | None:
    """The aware moment of a `yyyyMMddHHmmss` Shanghai timestamp, or None when it is not one."""
    if not isinstance(text, str) or len(text) != 14 or not text.isdigit():
        return None
    try:
        return dt.datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def string_to_sign(fields: Mapping[str, str], secret: str) -> str:
    parts = [f"{name}={fields.get(name, '')}" for name in SIGNED_FIELDS]
    return ("&".join(parts) + f"&appsecret={secret}").lower()


def sign(fields: Mapping[str, str], secret: str) -> str:
    return hashlib.sha256(string_to_sign(fields, secret).encode("utf-8")).hexdigest()


def sign_matches(fields: Mapping[str, str], secret: str) -> bool:
    given = fields.get("sign", "")
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(sign(fields, secret).encode(), given.lower().encode())


def _cipher(secret: str) -> Cipher:
    key = secret.encode("utf-8")
    if len(key) not in (16, 24, 32):
        raise CipherError("密钥长度应为 16、24 或 32 字节")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def aes_encrypt(plaintext: str, secret: str) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(secret).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def aes_decrypt(text: str, secret: str) -> str:
    if not isinstance(text, str):
        raise CipherError("应为加密后的 base64 文本")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise CipherError("不是有效的 base64 文本") from None
    if not raw or len(raw) % 16:
        raise CipherError("密文长度无效")
    decryptor = _cipher(secret).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except ValueError:
        raise CipherError("解密失败（密钥不符或密文损坏）") from None


def _walk(value: Any, secret: str, convert: Any, path: str, errors: list[str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in SENSITIVE_FIELDS and isinstance(item, str) and item != "":
                try:
                    out[key] = convert(item, secret)
                except CipherError:
                    errors.append(where)
                    out[key] = None
            else:
                out[key] = _walk(item, secret, convert, where, errors)
        return out
    if isinstance(value, list):
        return [
            _walk(item, secret, convert, f"{path}[{i}]", errors) for i, item in enumerate(value)
        ]
    return value


def encrypt_sensitive(data: Any, secret: str) -> Any:
    """A copy of `data` with every sensitive field's text encrypted (for requests and query answers)."""
    return _walk(data, secret, aes_encrypt, "", [])


def decrypt_sensitive(data: Any, secret: str) -> tuple[Any, list[str]]:
    """A copy of `data` with every sensitive field decrypted, and the paths of the fields that would not decrypt
    (they are None in the copy)."""
    errors: list[str] = []
    return _walk(data, secret, aes_decrypt, "", errors), errors


def envelope(
    appid: str,
    secret: str,
    method: str,
    data: Any,
    *,
    moment: dt.datetime,
    nonce: str | None = None,
    encrypt: bool = True,
) -> dict[str, str]:
    """The signed form fields of one call (what a vendor client, the upward client and the kit send)."""
    payload = encrypt_sensitive(data, secret) if encrypt else data
    fields = {
        "appid": appid,
        "data": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        "format": FORMAT,
        "method": method,
        "nonce": nonce or new_nonce(),
        "timestamp": timestamp_of(moment),
        "version": VERSION,
    }
    fields["sign"] = sign(fields, secret)
    return fields
