from django.urls import path

from smz.attendance import views

app_name = "attendance"

urlpatterns = [
    path("projects/<int:pk>/attendance/", views.project_calendar, name="calendar"),
    path(
        "projects/<int:pk>/attendance/export/",
        views.project_calendar_export,
        name="calendar_export",
    ),
    path("workers/<int:pk>/passes/", views.worker_passes, name="passes"),
    path("passes/<int:pk>/snapshot/", views.pass_snapshot, name="snapshot"),
    path("attendance/anomalies/", views.anomalies, name="anomalies"),
    path("passes/<int:pk>/contest/", views.contest_new, name="contest_new"),
    path("attendance/contests/", views.contest_list, name="contests"),
    path("attendance/contests/<int:pk>/", views.contest_detail, name="contest"),
]
