from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from config.api import api, not_found
from smz.approvals.inbound import inbound_api
from smz.devices.direct import device_api

handler400 = "smz.portal.errors.bad_request"
handler403 = "smz.portal.errors.forbidden"
handler404 = "smz.portal.errors.not_found"
handler500 = "smz.portal.errors.server_error"

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says; answer with the icon, not a 404.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", not_found, name="api_not_found"),
    path("device/v1/", device_api.urls),
    path("inbound/v1/", inbound_api.urls),
    path("iclock/", include("smz.devices.zkteco_urls")),
    path("", include("smz.devices.urls")),
    path("", include("smz.attendance.urls")),
    path("", include("smz.approvals.urls")),
    path("", include("smz.labor.urls")),
    path("", include("smz.compliance.urls")),
    path("", include("smz.accounts.urls")),
    path("", include("smz.portal.urls")),
]
