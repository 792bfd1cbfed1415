"""站内通知: one row per person and notice, read on the notifications page and counted in the menu's badge.

The table keeps its first name (approvals_notification): the model moved here from approvals without moving
data. A notice about an approval request links to it (`request`, deleted with it); the link is a string
reference, so this app imports nothing above it, and other apps' notices simply leave it empty.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """站内通知: what waits for someone, or what happened to their request. Email goes out alongside."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    request = models.ForeignKey(
        "approvals.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        db_table = "approvals_notification"
        verbose_name = verbose_name_plural = "站内通知"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="approvals_n_user_id_00f999_idx")]

    def __str__(self) -> str:
        return self.title
