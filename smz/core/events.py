"""Writers for the one event log (core.Event) and the personal-data access audit."""

from __future__ import annotations

from typing import Any

from django.db import models

from smz.core.models import Event, PersonalDataAccess


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def event_record(
    *, actor: Any, kind: str, subject: models.Model, data: dict[str, Any] | None = None
) -> Event:
    """Append a business event. Data must not hold personal numbers (only ids and codes)."""
    return Event.objects.create(
        actor=_user_or_none(actor),
        kind=kind,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        data=data or {},
    )


def pii_access_record(
    *, actor: Any, subject: models.Model, field: str, purpose: str
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        actor=_user_or_none(actor),
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        field=field,
        purpose=purpose[:200],
    )
