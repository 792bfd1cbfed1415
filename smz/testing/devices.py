"""Device test helpers: snapshot JPEGs and a client that signs device-direct v1 requests."""

from __future__ import annotations

import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

from django.utils import timezone
from PIL import Image

from smz.core import signing
from smz.devices.models import Device
from smz.devices.services import device_register

FACE = Path(__file__).resolve().parents[1] / "attendance" / "fixtures" / "face.jpg"


def jpeg(width: int = 640, height: int = 480, *, face: bool = True) -> bytes:
    """A snapshot: the public-domain face photo resized, or a plain grey frame with no face."""
    buf = io.BytesIO()
    if face:
        with Image.open(FACE) as img:
            img.resize((width, height)).save(buf, "JPEG", quality=70)
    else:
        Image.new("RGB", (width, height), (120, 140, 160)).save(buf, "JPEG", quality=70)
    return buf.getvalue()


class DeviceClient:
    """Speaks device-direct v1 through the Django test client: signs every request."""

    def __init__(self, client, device: Device, secret: str):
        self.client, self.device, self.secret = client, device, secret

    def call(
        self,
        method: str,
        path: str,
        payload=None,
        *,
        ts: int | None = None,
        nonce: str | None = None,
        secret: str | None = None,
        raw: bytes | None = None,
    ):
        body = (
            raw
            if raw is not None
            else (json.dumps(payload).encode() if payload is not None else b"")
        )
        headers = self.signed(method, path, body, ts=ts, nonce=nonce, secret=secret)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if method == "GET":
            return self.client.get(path, **extra)
        return self.client.generic(method, path, body, content_type="application/json", **extra)

    def post(self, path, payload=None, **kw):
        return self.call("POST", path, payload, **kw)

    def signed(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        ts: int | None = None,
        nonce: str | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """The headers this device sends with this request (a fresh nonce, the current time)."""
        return signing.signed_headers(
            secret or self.secret,
            self.device.serial,
            method,
            path,
            body,
            timestamp=ts if ts is not None else int(time.time()),
            nonce=nonce or uuid.uuid4().hex,
        )


def terminal_in_service(world: Any, *, serial: str) -> Device:
    """A ZKTeco terminal on p1 already in service: bound to the test client's address (127.0.0.1)."""
    device, _ = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial=serial,
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.ZKTECO_PUSH,
        entrance="北门",
    )
    Device.objects.filter(pk=device.pk).update(bound_address="127.0.0.1", bound_at=timezone.now())
    device.refresh_from_db()
    return device
