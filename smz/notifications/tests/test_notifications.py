"""The notifications page and its services: own notices only, 全部标为已读, the menu's unread badge."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from smz.notifications import selectors, services
from smz.notifications.models import Notification


def test_issue12_mark_all_read_touches_only_own_unread_notices(world, as_user):
    """Issue 12 item 3: the notifications page's 全部已读 goes through one service, own notices only."""
    gc = world.users["gc_labor"]
    other = world.users["town_l1"]
    services.notify_plain([gc, other], "测试通知", "", "/")
    assert Notification.objects.filter(user=gc, read_at__isnull=True).exists()
    response = as_user("gc_labor").post(reverse("approvals:notifications"))
    assert response.status_code == 302
    assert response.url == reverse("approvals:notifications")
    assert not Notification.objects.filter(user=gc, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).exists()
    assert services.notifications_mark_read(actor=gc) == 0


def test_page_lists_own_notices_and_the_menu_counts_the_unread(world, as_user):
    gc = world.users["gc_labor"]
    services.notify_plain([gc], "给总包的通知", "正文", "/projects/")
    services.notify_plain([world.users["town_l1"]], "给审批人的通知", "", "/")
    page = as_user("gc_labor").get(reverse("approvals:notifications")).content.decode()
    assert "给总包的通知" in page and "正文" in page and "给审批人的通知" not in page
    assert 'data-testid="notifications-link"' in page and "badge" in page
    assert list(selectors.notifications_for(gc, unread_only=True)) == list(
        Notification.objects.filter(user=gc)
    )


def test_notice_is_mailed_after_commit_to_those_with_an_address(
    world, django_capture_on_commit_callbacks
):
    gc, l1 = world.users["gc_labor"], world.users["town_l1"]
    gc.email, l1.email = "gc@example.com", ""
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_plain([gc, l1], "邮件通知", "内容", "/projects/")
    sent = [m for m in mail.outbox if "邮件通知" in m.subject]
    assert len(sent) == 1 and sent[0].to == ["gc@example.com"]
    assert sent[0].body.endswith("/projects/")


def test_the_table_keeps_its_name():
    """The model moved from approvals without moving data (state-only migrations)."""
    assert Notification._meta.db_table == "approvals_notification"
    assert Notification._meta.app_label == "notifications"
