"""The device lane (smz/core/lanes.py; issue 17 goal 2, N5): signed device requests through the application
gunicorn serves skip the browser's middleware and keep what a device request needs; everything else is as before."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from smz.attendance.models import PassRecord
from smz.core import signing
from smz.core.lanes import DEVICE_SKIPS, device_middleware
from smz.testing.wsgi import wsgi_call

KEPT = (
    "smz.core.http.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "smz.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "smz.core.middleware.PersonalDataMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "smz.core.middleware.DomainErrorMiddleware",
    "smz.core.replica.ReplicaReadsMiddleware",
)


@pytest.fixture
def served() -> Iterator[Any]:
    """config.wsgi.application, called as gunicorn calls it, inside the test's transaction (as Django's test
    client does, the request signals do not close the connection)."""
    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _call(app, method: str, path: str, body: bytes = b"", headers=None, query: str = ""):
    status, response_headers, data = wsgi_call(app, method, path, body, headers, query=query)
    return status, dict(response_headers), [k.lower() for k, _ in response_headers], data


def test_the_lane_keeps_the_device_middleware_in_order() -> None:
    lane = device_middleware()
    # a renamed middleware would otherwise run unnoticed
    assert set(settings.MIDDLEWARE) >= DEVICE_SKIPS
    assert lane == [m for m in settings.MIDDLEWARE if m in KEPT]
    assert set(KEPT) | DEVICE_SKIPS == set(
        settings.MIDDLEWARE
    )  # a new middleware is placed on purpose


def test_an_upload_through_the_served_application(world, gate, served) -> None:
    record = {
        "record_id": "lane-1",
        "person_id": world.workers["gc"].pk,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60)),
        "direction": "in",
    }
    body = json.dumps({"batch_id": "lane-b1", "records": [record]}).encode()
    status, headers, names, data = _call(
        served, "POST", "/device/v1/passes", body, gate.signed("POST", "/device/v1/passes", body)
    )
    assert status == 200, data[:300]
    assert json.loads(data)["accepted"] == 1
    assert PassRecord.objects.filter(device=gate.device, device_record_id="lane-1").count() == 1
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware
    assert headers["Cache-Control"] == "private, no-store"  # PersonalDataMiddleware
    assert headers["X-Frame-Options"] == "DENY"
    assert "set-cookie" not in names and "content-language" not in names  # no session, no locale

    # the same batch again, a new signature: the stored answers (the ingest path is the test client's)
    status, _, _, again = _call(
        served, "POST", "/device/v1/passes", body, gate.signed("POST", "/device/v1/passes", body)
    )
    assert status == 200 and json.loads(again)["results"] == json.loads(data)["results"]
    assert PassRecord.objects.filter(device=gate.device).count() == 1


def test_refusals_keep_their_envelope(world, gate, served) -> None:
    body = b'{"records": []}'
    headers = gate.signed("POST", "/device/v1/passes", body)
    headers[signing.HEADER_SIGNATURE] = "0" * 64
    status, _, _, data = _call(served, "POST", "/device/v1/passes", body, headers)
    assert status == 401 and json.loads(data)["code"] == "device.bad_signature"
    # a personal number in a device URL is refused before the view, as JSON
    status, _, _, data = _call(
        served, "GET", "/device/v1/people", query="id_number=440101199001011234"
    )
    assert status == 400 and json.loads(data)["code"] == "pii.id_in_url"


def test_pages_keep_the_whole_stack(world, served) -> None:
    status, headers, names, _ = _call(served, "GET", "/login/")
    assert status == 200
    assert "content-language" in names  # LocaleMiddleware
    assert "csrftoken" in headers.get("Set-Cookie", "")  # CsrfViewMiddleware
