"""The notifications page's route. It keeps its first name, `approvals:notifications` (links, menus and tests
name it): smz/approvals/urls.py lists these patterns in its namespace."""

from django.urls import path

from smz.notifications import views

notification_urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
]
