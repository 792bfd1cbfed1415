"""Issue 10 item 9: an oversized body is refused by its declared length, before anything reads it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.core.handlers.wsgi import LimitedStream

BIG_JSON = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
BIG_UPLOAD = settings.SMZ_MAX_UPLOAD_REQUEST_BYTES + 1


@pytest.fixture
def unread():
    """Fails the test if any byte of the request body is read."""
    with mock.patch.object(LimitedStream, "read", side_effect=AssertionError("body read")) as spy:
        yield spy


def _post(client, path: str, length: int, content_type: str):
    # The declared length is what the check trusts; the client need not send 50 MB to test it.
    return client.generic(
        "POST", path, b"{}", content_type=content_type, CONTENT_LENGTH=str(length)
    )


def test_item9_oversized_api_body_is_413_envelope(db, client, unread) -> None:
    resp = _post(client, "/api/v1/workers", 50 * 1024 * 1024, "application/json")
    assert resp.status_code == 413
    body = resp.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "request.too_large" and "MB" in body["message"]
    unread.assert_not_called()


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/device/v1/passes", b'"device.body_too_large"'),
    ],
)
def test_item9_device_protocols_refuse_oversized_bodies_in_their_own_words(
    db, client, unread, path, answer
) -> None:
    resp = _post(client, path, 50 * 1024 * 1024, "application/json")
    assert resp.status_code == 413 and answer in resp.content
    unread.assert_not_called()


def test_item9_oversized_upload_page_is_413_in_chinese(world, as_user, unread) -> None:
    resp = _post(
        as_user("gc_labor"), "/approvals/1/upload/", BIG_UPLOAD, "multipart/form-data; boundary=x"
    )
    assert resp.status_code == 413
    assert "超过 32 MB" in resp.content.decode()
    unread.assert_not_called()


def test_item9_upload_under_the_request_limit_passes_the_middleware(db, client) -> None:
    # A 25 MB multipart body is over the non-file limit but within the upload limit.
    resp = _post(client, "/api/v1/roster/import", BIG_JSON + 1, "multipart/form-data; boundary=x")
    assert resp.status_code != 413
