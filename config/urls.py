from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from config.api import api, not_found
from smz.accounts import urls as accounts_urls
from smz.approvals.inbound.api import inbound_api
from smz.registry import urls as registry_urls
from smz.terminals.direct import device_api

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
    path("iclock/", include("smz.terminals.zkteco_urls")),
    path("", include("smz.devices.urls")),
    path("", include("smz.attendance.urls")),
    path("", include("smz.approvals.urls")),
    path("", include("smz.labor.urls")),
    path("", include("smz.docking.urls")),
    path("", include("smz.compliance.urls")),
    path("", include("smz.faceid.urls")),
    path("", include("smz.video.urls")),
    # One "accounts" namespace, two apps: the account pages and the worker's login by phone, which is the
    # registry's (it finds workers) but keeps the route names it was born with.
    path("", include(([*registry_urls.urlpatterns, *accounts_urls.urlpatterns], "accounts"))),
    path("", include("smz.portal.urls")),
]
