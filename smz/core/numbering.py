"""Readable record numbers (申请编号, 工资表编号, …): PREFIX + local date + the row's id, unique without
counting. A row is inserted with a random placeholder and gets its number once its id exists."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone


def temporary_no() -> str:
    return f"T{uuid.uuid4().hex[:19]}"


def dated_no(obj: Any, prefix: str, *, width: int = 6) -> str:
    """Give a just-inserted row its number (saved at once) and return it."""
    obj.no = f"{prefix}{timezone.localdate():%Y%m%d}{obj.pk:0{width}d}"
    type(obj).objects.filter(pk=obj.pk).update(no=obj.no)
    return obj.no
