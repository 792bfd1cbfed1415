from django.urls import path

from smz.video.views import cameras
from smz.video.views.live import live_urlpatterns
from smz.video.views.platforms import platform_urlpatterns

app_name = "video"

urlpatterns: list = [
    path("projects/<int:pk>/video/", cameras.project_video, name="project"),
    path("projects/<int:pk>/video/entrances/", cameras.entrance_create, name="entrance_create"),
    path("projects/<int:pk>/video/cameras/", cameras.camera_register, name="camera_register"),
    path("projects/<int:pk>/video/sip-password/", cameras.sip_password, name="sip_password"),
    path("video/entrances/<int:pk>/", cameras.entrance_detail, name="entrance"),
    path(
        "video/entrances/<int:pk>/<str:action>/",
        cameras.entrance_action,
        name="entrance_action",
    ),
    path("video/cameras/", cameras.camera_list, name="cameras"),
    path("video/cameras/<int:pk>/", cameras.camera_detail, name="camera"),
    path(
        "video/cameras/<int:pk>/assign/",
        cameras.camera_action,
        {"action": "assign"},
        name="camera_assign",
    ),
    path(
        "video/cameras/<int:pk>/retire/",
        cameras.camera_action,
        {"action": "retire"},
        name="camera_retire",
    ),
    path("video/uncovered/", cameras.uncovered, name="uncovered"),
    *live_urlpatterns,
    *platform_urlpatterns,
]
