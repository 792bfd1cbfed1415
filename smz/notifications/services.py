"""Notification writes: a portal notice per person (with an email after commit), and marking them read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from smz.accounts.models import User
from smz.notifications.models import Notification


def notify_plain(
    users: Sequence[User], title: str, body: str, url: str, *, request_id: int | None = None
) -> None:
    """Portal notice for each user, and an email (console backend in development) after commit. `request_id`
    links the notice to an approval request (smz.approvals.services.notify)."""
    Notification.objects.bulk_create(
        [
            Notification(user=u, request_id=request_id, title=title, body=body, url=url)
            for u in users
        ]
    )
    recipients = [u.email for u in users if u.email]
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                f"[实名制管理平台] {title}",
                f"{body}\n\n{settings.SITE_URL.rstrip('/')}{url}",
                None,
                recipients,
            ),
            robust=True,  # a mail server that is down is logged; the decision is already committed
        )


@transaction.atomic
def notifications_mark_read(*, actor: Any) -> int:
    """Mark all the actor's unread portal notices as read now; returns how many were marked."""
    if not actor.is_authenticated:
        return 0
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
