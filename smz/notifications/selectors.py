"""Notification reads: a person sees their own notices only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from smz.notifications.models import Notification


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = (
        Notification.objects.filter(user=user)
        if user.is_authenticated
        else Notification.objects.none()
    )
    return qs.filter(read_at__isnull=True) if unread_only else qs
