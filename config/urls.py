from django.contrib import admin
from django.urls import include, path

from config.api import api
from smz.approvals.inbound import inbound_api
from smz.devices.direct import device_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
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
