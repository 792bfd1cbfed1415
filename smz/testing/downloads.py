"""Reading a download in a test: exports stream from a temporary file (smz.core.downloads)."""

from __future__ import annotations

from typing import Any


def download_body(response: Any) -> bytes:
    """The whole body: a streamed response's chunks joined (the test client closes it after the last), or a
    plain response's content (an error page)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)
