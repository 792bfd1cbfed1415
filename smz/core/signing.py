"""HMAC request signing shared by the device-direct protocol v1 (附件7, docs/interfaces/device-direct.md) and the
inbound notices of the city's other systems (docs/interfaces/inbound.md).

    string_to_sign = METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body bytes))
    X-Smz-Signature = hex(HMAC-SHA256(secret of the device or system, string_to_sign))

The body hash covers the whole body, snapshots included. The ±300 s window applies to the request's
timestamp only, never to pass times inside it (devices upload old passes after an outage).
"""

from __future__ import annotations

import hashlib
import hmac

WINDOW_SECONDS = 300
HEADER_SERIAL = "X-Smz-Serial"
HEADER_TIMESTAMP = "X-Smz-Timestamp"
HEADER_NONCE = "X-Smz-Nonce"
HEADER_SIGNATURE = "X-Smz-Signature"
HEADER_BATCH = "X-Smz-Batch-Id"


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, serial: str, method: str, path: str, body: bytes, *, timestamp: int, nonce: str
) -> dict[str, str]:
    """Headers a device (or the simulator, or a test) sends."""
    ts = str(timestamp)
    return {
        HEADER_SERIAL: serial,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret, method, path, ts, nonce, body),
    }
