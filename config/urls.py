from django.contrib import admin
from django.urls import include, path, re_path

from config.api import api, not_found
from smz.approvals.inbound import inbound_api
from smz.devices.direct import device_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", not_found),
    path("device/v1/", device_api.urls),
    path("inbound/v1/", inbound_api.urls),
    path("iclock/", include("smz.devices.zkteco_urls")),
    path("", include("smz.devices.urls")),
    path("", include("smz.attendance.urls")),
    path("", include("smz.approvals.urls")),
    path("", include("smz.labor.urls")),
    path("", include("smz.accounts.urls")),
    path("", include("smz.portal.urls")),
]
