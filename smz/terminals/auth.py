"""Authenticating a signed device request (device-direct v1). Every refusal is logged as a DeviceRejection."""

from __future__ import annotations

import hmac
import time

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from smz.core import signing
from smz.core.bulk import rows_upsert
from smz.devices.models import Device, DeviceNonce, DeviceRejection
from smz.devices.selectors import device_by_serial
from smz.terminals.errors import DeviceError, TerminalsErrorCode, device_error


def _refuse(serial: str, device: Device | None, code: str) -> DeviceError:
    DeviceRejection.objects.create(device=device, serial=serial[:64], code=code)
    return device_error(code)


class NonceReplayed(Exception):
    """The request's nonce was used before (raised inside the caller's transaction, refused outside it)."""


def authenticate_device(
    request: HttpRequest, *, protocol: str, nonce_later: bool = False
) -> Device:
    """Check serial, state, time window, signature and nonce; return the device. With nonce_later the nonce
    is only checked for form here and left on the request (request.device_nonce): the view records it with
    nonce_record inside the transaction that does its work, so a request costs one commit, not two."""
    h = request.headers
    serial = h.get(signing.HEADER_SERIAL, "")
    ts, nonce, signature = (
        h.get(signing.HEADER_TIMESTAMP, ""),
        h.get(signing.HEADER_NONCE, ""),
        h.get(signing.HEADER_SIGNATURE, ""),
    )
    if not (serial and ts and nonce and signature) or not (8 <= len(nonce) <= 64):
        raise _refuse(serial, None, TerminalsErrorCode.MISSING_HEADERS)
    # with its project and the site boundary the pass ingest judges positions by (one read, not two)
    device = device_by_serial(serial)
    if device is None:
        raise _refuse(serial, None, TerminalsErrorCode.UNKNOWN)
    if device.status != Device.Status.ACTIVE:
        raise _refuse(serial, device, TerminalsErrorCode.RETIRED)
    if device.protocol != protocol:
        raise _refuse(serial, device, TerminalsErrorCode.WRONG_PROTOCOL)
    try:
        skew = abs(int(ts) - time.time())
    except ValueError:
        skew = float("inf")
    if skew > signing.WINDOW_SECONDS:
        raise _refuse(serial, device, TerminalsErrorCode.STALE_TIMESTAMP)
    expected = signing.sign(
        device.secret, request.method, request.get_full_path(), ts, nonce, request.body
    )
    if not hmac.compare_digest(expected, signature.lower()):
        raise _refuse(serial, device, TerminalsErrorCode.BAD_SIGNATURE)
    if nonce_later:
        request.device_nonce = nonce  # type: ignore[attr-defined]
        return device
    try:
        with transaction.atomic():
            DeviceNonce.objects.create(device=device, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise _refuse(serial, device, TerminalsErrorCode.REPLAYED_NONCE) from None
    return device


def nonce_record(device: Device, nonce: str) -> None:
    """Record a nonce inside the caller's transaction (one INSERT … ON CONFLICT DO NOTHING, no savepoint);
    NonceReplayed if it was used before: the caller rolls back and refuses with nonce_refuse."""
    recorded = rows_upsert(
        DeviceNonce,
        ("device", "nonce", "seen_at"),
        [(device.pk, nonce, timezone.now())],
        unique=("device", "nonce"),
        returning="id",
    )
    if not recorded:
        raise NonceReplayed


def nonce_refuse(device: Device) -> DeviceError:
    """The refusal of a replayed nonce found by nonce_record, logged once its transaction rolled back."""
    return _refuse(device.serial, device, TerminalsErrorCode.REPLAYED_NONCE)


def nonces_purge(older_than_seconds: int = 2 * signing.WINDOW_SECONDS) -> int:
    """Nonces older than the window can never be replayed successfully (the timestamp check refuses them)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return DeviceNonce.objects.filter(seen_at__lt=cutoff).delete()[0]
