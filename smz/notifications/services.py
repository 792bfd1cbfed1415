"""Notification writes: a portal notice per person (with an email after commit), and marking them read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from smz.accounts.models import User
from smz.attendance.models import PassContest
from smz.attendance.validity import INVALID_REASONS
from smz.core.roles import Role
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


def pass_contest_notify(*, contest_id: int, state: str) -> int:
    """Tell the people a pass contest concerns (issue 13 item 5): when filed, the approvers of the authority it
    was routed to; when decided, the person and whoever filed it. Returns how many notices were written."""
    contest = (
        PassContest.objects.select_related("pass_record", "filed_by").filter(pk=contest_id).first()
    )
    if contest is None:
        return 0
    url = reverse("attendance:contest", args=[contest.pk])
    day = contest.pass_record.work_date
    if state == PassContest.State.FILED:
        users = list(
            User.objects.filter(
                authority=contest.authority_id,
                role__in=[Role.APPROVER_L1, Role.APPROVER_L2],
                is_active=True,
            )
        )
        title = "通行记录申诉待处理"
        body = f"有一条 {day:%Y-%m-%d} 的通行记录被申诉（{INVALID_REASONS.get(contest.invalid_reason, '抓拍或人脸核验')}），请核实抓拍后处理。"
    else:
        users = list(User.objects.filter(worker=contest.worker_id, is_active=True))
        if contest.filed_by.is_active and contest.filed_by not in users:
            users.append(contest.filed_by)
        title = f"通行记录申诉已处理：{PassContest.State(state).label}"
        body = f"{day:%Y-%m-%d} 通行记录的申诉已处理（{PassContest.State(state).label}）。处理意见：{contest.decision[:200]}"
    notify_plain(users, title, body, url)
    return len(users)
