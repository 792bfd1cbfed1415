from django.urls import path

from smz.approvals import keypost_views, views
from smz.approvals.inbound.views import inbound_urlpatterns
from smz.notifications.urls import notification_urlpatterns

app_name = "approvals"

urlpatterns = [
    path("approvals/", views.request_list, name="list"),
    path("projects/<int:pk>/requests/new/", views.request_new, name="new"),
    path("approvals/<int:pk>/", views.request_detail, name="detail"),
    path("approvals/<int:pk>/act/", views.request_act, name="act"),
    path("approvals/<int:pk>/upload/", views.attachment_upload, name="upload"),
    path("approvals/<int:pk>/form.pdf", views.form_download, name="form_pdf"),
    path("approvals/<int:pk>/photos.pdf", views.photo_sheet, name="photo_sheet"),
    path("approvals/files/<int:pk>/", views.attachment_file, name="attachment"),
    path("approvals/files/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    *notification_urlpatterns,
    path(
        "projects/<int:pk>/key-post-change/", keypost_views.key_post_change, name="key_post_change"
    ),
    path("window/enroll/", keypost_views.enroll_list, name="enroll_list"),
    path("window/enroll/<int:pk>/", keypost_views.enroll, name="enroll"),
    *inbound_urlpatterns,
]
