"""Error test helpers: expect a refusal with one exact code, so a refusal for another reason fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from smz.core.errors import DomainError


@contextmanager
def refused(code: str) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect the block to raise a DomainError whose code is exactly `code`."""
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, (
        f"expected {code!r}, got {info.value.code!r}: {info.value.message}"
    )
