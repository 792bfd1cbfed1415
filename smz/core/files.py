"""Names for files in private storage."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath


def private_name(prefix: str, filename: str, *, default_suffix: str = ".jpg") -> str:
    """Unguessable, meaningless names: no ID number, person name or document title ever appears in a path."""
    suffix = PurePosixPath(filename).suffix.lower()[:5] or default_suffix
    return f"{prefix}/{uuid.uuid4().hex}{suffix}"
